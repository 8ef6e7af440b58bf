/**
 * The enterprise home's 控制措施检查: the 企业/车间/班组/岗位 measures it must check this period by its 自查, overdue
 * first (a grid worker's 街道/区 measures come in the patrol plan's rows on 今日任务 instead). 「开始检查」 opens the
 * inspection of the checklist holding the measure's items; answering them is the check (a 不符合 is a hazard).
 */
import { useEffect, useState } from 'preact/hooks';
import type { InspectionMode } from '../../db/types';
import { navigate } from '../../router';
import { Banner, formatTime } from '../../ui/components';
import { startInspection } from '../inspection/start';
import { checklistsForSite } from '../sites/data';
import { riskApi, type MeasureCheck } from './api';
import { LEVEL_LABELS, dueDay } from './logic';

const SHOWN = 5;

export function MeasureChecks(props: { mode: InspectionMode }) {
  const [items, setItems] = useState<MeasureCheck[] | null | undefined>(undefined);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [all, setAll] = useState(false);

  useEffect(() => {
    let live = true;
    riskApi.measuresDue().then((r) => live && setItems(r.items)).catch(() => live && setItems(null));
    return () => { live = false; };
  }, []);

  async function begin(check: MeasureCheck) {
    const key = `${check.risk_point_id}:${check.index}`;
    setBusy(key);
    setError(null);
    try {
      const { items: lists } = await checklistsForSite(check.site);
      const checklist = lists.find((c) => c.id === check.checklist_id);
      if (!checklist) {
        setError('本机没有该措施对应的检查表，请联网后再试。');
        return;
      }
      const draft = await startInspection(check.site, checklist, { mode: props.mode });
      navigate(`/drafts/${draft.id}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  }

  if (items === undefined) return <><h2>控制措施检查</h2><p>正在加载…</p></>;
  if (items === null) return <><h2>控制措施检查</h2><p class="muted">控制措施检查需联网查看。</p></>;
  const overdue = items.filter((i) => i.overdue).length;
  const shown = all ? items : items.slice(0, SHOWN);
  return (
    <>
      <h2>控制措施检查（{items.length}{overdue ? `，逾期 ${overdue}` : ''}）</h2>
      {error && <Banner kind="error">{error}</Banner>}
      {items.length === 0 ? <p class="muted">本期控制措施均已检查。</p> : (
        <ul class="list" data-testid="measures-due">
          {shown.map((c) => {
            const key = `${c.risk_point_id}:${c.index}`;
            return (
              <li key={key} data-testid="measure-due" data-point={c.risk_point_id} data-index={c.index}
                data-items={c.check_items.join(',')} data-overdue={c.overdue ? 'true' : 'false'}>
                <div style="display:flex;gap:.5rem;align-items:center">
                  <a href={`/sites/${c.site.id}/risk`} style="flex:1;text-decoration:none;color:inherit">
                    <b>{c.text}</b>
                    {c.overdue && <> <span class="badge level-major">逾期</span></>}
                    <br /><small>{c.site.name} · {c.risk_point_name}
                      {c.level ? `（${LEVEL_LABELS[c.level]}）` : ''} · 管控层级：{c.tier}</small>
                    <br /><small>{c.period_label}检查 · {c.last_checked_at ? `上次 ${formatTime(c.last_checked_at)}` : '尚未检查'}
                      </small>
                    <br /><span class={`deadline${c.overdue ? ' urgent' : ''}`}>{c.overdue ? '已逾期，应于' : '请于'} {dueDay(c.due_at)} 前完成</span>
                    {c.open_hazards.length > 0 && <><br /><small data-testid="measure-failing">
                      未闭环隐患 {c.open_hazards.map((h) => h.number).join('、')}</small></>}
                  </a>
                  <button type="button" class="btn small" data-testid="start-measure-check"
                    disabled={busy !== null || !c.checklist_id} onClick={() => void begin(c)}>
                    {busy === key ? '正在打开…' : '开始检查'}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {!all && items.length > SHOWN && (
        <button type="button" class="btn block" data-testid="measures-all" onClick={() => setAll(true)}>显示全部 {items.length} 项</button>
      )}
    </>
  );
}
