/**
 * 区域选择: the console's one way to pick a region (a grant's scope, a site's grid, where a grid moves, a filter).
 * A district has hundreds of grids, so instead of one long select it is a searchable list (WAI-ARIA combobox
 * with a listbox): type part of a name or path, each match shows 街道 / 社区 / 网格, arrows move, Enter chooses,
 * Escape closes.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Region } from './admin/api';
import { regionPath } from './admin/api';
import { searchRegions } from './region-search';
import './region-picker.css';

let serial = 0;

export interface RegionPickerProps {
  label: string;
  /** Every region known (for the paths); which may be chosen is `choices`. */
  regions: Region[];
  choices?: (region: Region) => boolean;
  value: number | null;
  onChange: (id: number | null) => void;
  testid: string;
  /** Offered as the first entry, choosing nothing (a filter's 「全部」). */
  emptyLabel?: string;
  placeholder?: string;
  disabled?: boolean;
}

export function RegionPicker(props: RegionPickerProps) {
  const ids = useMemo(() => {
    serial += 1;
    return { input: `region-picker-${serial}`, list: `region-picker-${serial}-list`, hint: `region-picker-${serial}-hint` };
  }, []);
  const byId = useMemo(() => new Map(props.regions.map((r) => [r.id, r])), [props.regions]);
  const choices = useMemo(() => (props.choices ? props.regions.filter(props.choices) : props.regions),
    [props.regions, props.choices]);
  const selected = props.value != null ? byId.get(props.value) ?? null : null;
  const selectedText = selected ? regionPath(selected, byId) : '';
  const [query, setQuery] = useState<string | null>(null); // null: not typing, the input shows the choice
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  const { matches, more } = useMemo(() => searchRegions(choices, byId, query ?? ''), [choices, byId, query]);
  const empty = props.emptyLabel != null ? 1 : 0;
  const count = matches.length + empty;

  function choose(index: number) {
    if (index < empty) props.onChange(null);
    else if (matches[index - empty]) props.onChange(matches[index - empty].region.id);
    setQuery(null);
    setOpen(false);
  }

  function close() {
    setQuery(null);
    setOpen(false);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        setOpen(true);
        setActive(0);
        return;
      }
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (count ? (i + step + count) % count : 0));
    } else if (event.key === 'Enter') {
      if (open && count) {
        event.preventDefault();
        choose(active);
      }
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        close();
      }
    } else if (event.key === 'Tab') {
      close();
    }
  }

  const optionId = (index: number) => `${ids.list}-${index}`;
  useEffect(() => {
    if (open) document.getElementById(optionId(active))?.scrollIntoView({ block: 'nearest' });
  }, [open, active]);
  const hint = !open ? '' : count === 0 ? '没有名称相符的区域，请换个说法。'
    : `找到 ${matches.length + more} 个${more ? `，显示前 ${matches.length} 个，请输入更多文字缩小范围` : ''}。`;

  return (
    <div class="region-picker" data-testid={props.testid}>
      <label for={ids.input}>{props.label}</label>
      <input id={ids.input} ref={input} type="text" role="combobox" autoComplete="off" spellcheck={false}
        aria-autocomplete="list" aria-expanded={open} aria-controls={ids.list} aria-describedby={ids.hint}
        aria-activedescendant={open && count ? optionId(active) : undefined}
        placeholder={props.placeholder ?? (selected ? '' : '输入名称搜索，如“第3网格”')}
        disabled={props.disabled} data-testid={`${props.testid}-input`}
        value={query ?? (selected ? selectedText : '')}
        onInput={(e) => {
          setQuery((e.target as HTMLInputElement).value);
          setOpen(true);
          setActive(empty && (e.target as HTMLInputElement).value.trim() ? 1 : 0);
        }}
        onFocus={() => {
          setOpen(true);
          setActive(0);
          // Typing replaces the shown choice at once.
          requestAnimationFrame(() => input.current?.select());
        }}
        onBlur={close} onKeyDown={onKeyDown} />
      <ul id={ids.list} role="listbox" aria-label={props.label} class="region-picker-list" hidden={!open || count === 0}>
        {props.emptyLabel != null && (
          <li id={optionId(0)} role="option" aria-selected={props.value == null} data-active={active === 0 || undefined}
            onMouseDown={(e) => e.preventDefault()} onClick={() => choose(0)}>
            <span class="region-picker-name">{props.emptyLabel}</span></li>
        )}
        {matches.map((m, i) => (
          <li key={m.region.id} id={optionId(i + empty)} role="option" aria-selected={m.region.id === props.value}
            data-active={active === i + empty || undefined} data-id={m.region.id} data-testid={`${props.testid}-option`}
            onMouseDown={(e) => e.preventDefault()} onClick={() => choose(i + empty)}>
            <span class="region-picker-name">{m.region.name}</span>
            <span class="region-picker-path">{m.path}</span>
          </li>
        ))}
      </ul>
      <span id={ids.hint} class="region-picker-hint" aria-live="polite">{hint}</span>
    </div>
  );
}
