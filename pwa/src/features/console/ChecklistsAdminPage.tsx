/**
 * 检查表发布 (administrators): upload a checklist YAML file, read the validator's problems by line, preview the
 * form as the inspector will see it, read the difference from the current version, publish it as a new version;
 * download the current version's YAML.
 */
import { useRef, useState } from 'preact/hooks';
import { UPLOAD_TIMEOUT_MS, apiPath, request } from '../../api/http';
import type { ChecklistContent, ChecklistItem } from '../../api/types';
import { Banner, formatTime } from '../../ui/components';
import { ItemCard } from '../inspection/InspectionPage';
import { LoadState, Section, errorText, useLoad } from './ui';
import './import.css';
import './checklists-admin.css';

interface CurrentRow {
  id: string; version: string; title: string; item_count: number; published_at: string; source_file: string;
}
interface UploadProblem { file: string; line: number; reason: string; text: string }
interface DiffEntry { code: string; text: string; fields?: string[] }
interface Diff { added: DiffEntry[]; removed: DiffEntry[]; changed: DiffEntry[]; other: string[]; first: boolean }
interface CheckResult {
  filename: string; ok: boolean; unchanged: boolean; problems: UploadProblem[];
  checklist_id: string | null; version: string | null; title: string | null; item_count: number | null;
  previous_version: string | null; diff: Diff | null; content: ChecklistContent | null;
  published?: { version: string };
}

const noop = () => undefined;

/** The form rendered with the field app's own item cards, inside a disabled fieldset: a preview, nothing to answer. */
function Preview(props: { content: ChecklistContent }) {
  return (
    <fieldset disabled class="checklist-preview" data-testid="checklist-preview" aria-label="检查表预览（只读）">
      <h3>{props.content.title}<span class="muted"> · 版本 {props.content.version}</span></h3>
      {props.content.sections.map((section) => (
        <section key={section.code}>
          <h4>{section.code}. {section.title}{section.cap != null ? <span class="muted">（本节最多扣 {section.cap} 分）</span> : null}</h4>
          {section.items.map((item: ChecklistItem) => (
            <ItemCard key={item.code} item={item} answer={undefined} issue={false} onAnswer={noop} onError={noop} />
          ))}
        </section>
      ))}
    </fieldset>
  );
}

function DiffView(props: { result: CheckResult }) {
  const { diff } = props.result;
  if (!diff) return null;
  if (diff.first) return <p data-testid="checklist-diff">这是新的检查表，共 {props.result.item_count} 项。</p>;
  const none = !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.other.length;
  return (
    <div data-testid="checklist-diff" class="checklist-diff">
      <p>与当前版本 <b>{props.result.previous_version}</b> 相比：新增 <b>{diff.added.length}</b> 项，删除{' '}
        <b>{diff.removed.length}</b> 项，修改 <b>{diff.changed.length}</b> 项。</p>
      {none && <p>条目没有变化。</p>}
      {diff.other.length > 0 && <p>其他变化：{diff.other.join('、')}</p>}
      <ul>
        {diff.added.map((e) => <li key={`a${e.code}`} class="diff-added">新增 {e.code} {e.text}</li>)}
        {diff.removed.map((e) => <li key={`r${e.code}`} class="diff-removed">删除 {e.code} {e.text}</li>)}
        {diff.changed.map((e) => (
          <li key={`c${e.code}`} class="diff-changed">修改 {e.code} {e.text}：{(e.fields ?? []).join('、')}</li>))}
      </ul>
    </div>
  );
}

export function ChecklistsAdminPage() {
  const fileInput = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<File | null>(null);
  const [result, setResult] = useState<CheckResult | null>(null);
  const [published, setPublished] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const current = useLoad(() => request<CurrentRow[]>('GET', apiPath('/checklist-publishing')).then((r) => r.data ?? []),
    [tick]);

  async function send(path: string): Promise<CheckResult | null> {
    if (!chosen) {
      setError('请先选择检查表文件（.yaml）。');
      return null;
    }
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    setBusy(true);
    setError(null);
    try {
      return (await request<CheckResult>('POST', apiPath(path), { body: form, timeoutMs: UPLOAD_TIMEOUT_MS })).data;
    } catch (e) {
      setError(errorText(e));
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function check(event: Event) {
    event.preventDefault();
    setPublished(null);
    const checked = await send('/checklist-publishing/check');
    setResult(checked);
  }

  async function publish() {
    const done = await send('/checklist-publishing/publish');
    if (!done) return;
    setPublished(`已发布：${done.title}（${done.checklist_id}）版本 ${done.version}。新开始的检查将使用该版本。`);
    setResult(null);
    setChosen(null);
    if (fileInput.current) fileInput.current.value = '';
    setTick((t) => t + 1);
  }

  return (
    <div class="import-page checklists-admin" data-testid="checklists-admin">
      <div class="page-head"><h1>检查表发布</h1></div>
      <Section title="上传检查表文件，系统逐行检查">
        <form onSubmit={check} class="import-upload">
          <p class="import-hint">YAML 文件（UTF-8 编码，格式见 checklists/README.md）；重大隐患判定依据按法规原文核对。
            已发布的版本不可更改：修改内容后请提高 version。</p>
          <input id="checklist-file" ref={fileInput} type="file" class="visually-hidden" data-testid="checklist-file"
            accept=".yaml,.yml,application/yaml,text/yaml"
            onChange={(e) => { setChosen((e.target as HTMLInputElement).files?.[0] ?? null); setResult(null); }} />
          <label for="checklist-file" class="btn">选择文件</label>
          <span class="import-chosen" data-testid="checklist-chosen">{chosen?.name ?? '尚未选择文件'}</span>
          <button type="submit" class="btn primary" disabled={busy} data-testid="checklist-check">
            {busy ? '正在检查…' : '上传并检查'}</button>
        </form>
        {error && <Banner kind="error"><span data-testid="checklist-error">{error}</span></Banner>}
        {published && <Banner kind="info"><span data-testid="checklist-published">{published}</span></Banner>}
      </Section>
      {result && result.problems.length > 0 && (
        <Section title={`发现 ${result.problems.length} 处问题，请修改文件后重新上传`} testid="checklist-problems">
          <table class="data import-problems">
            <thead><tr><th>文件</th><th class="num">行</th><th>问题</th></tr></thead>
            <tbody>
              {result.problems.map((p) => (
                <tr key={p.text} data-testid="checklist-problem" data-line={p.line}>
                  <td data-label="文件">{p.file}</td><td data-label="行" class="num">第 {p.line} 行</td>
                  <td data-label="问题">{p.reason}</td>
                </tr>))}
            </tbody>
          </table>
        </Section>
      )}
      {result && result.problems.length === 0 && result.content && (
        <Section title={`检查通过：${result.title}（${result.checklist_id}）版本 ${result.version}`} testid="checklist-ready">
          {result.unchanged
            ? <Banner kind="info">该文件与已发布的版本 {result.version} 完全相同，无需发布。</Banner>
            : <>
              <DiffView result={result} />
              <button type="button" class="btn primary" disabled={busy || !result.ok} data-testid="checklist-publish"
                onClick={() => void publish()}>{busy ? '正在发布…' : `发布为版本 ${result.version}`}</button>
            </>}
          <h3>预览（检查人员看到的表单，仅供查看）</h3>
          <Preview content={result.content} />
        </Section>
      )}
      <Section title="当前使用的检查表" testid="checklists-current">
        <LoadState loaded={current}>{(rows) => (
          <table class="data">
            <thead><tr><th>检查表</th><th>版本</th><th class="num">条目</th><th>发布时间</th><th>文件</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="checklist-row" data-id={r.id} data-version={r.version}>
                  <td>{r.title}<div class="muted">{r.id}</div></td><td>{r.version}</td>
                  <td class="num">{r.item_count}</td><td>{formatTime(r.published_at)}</td>
                  <td><a href={apiPath(`/checklist-publishing/${encodeURIComponent(r.id)}/source.yaml`)} download
                    data-testid="checklist-download">下载 YAML</a></td>
                </tr>))}
            </tbody>
          </table>)}
        </LoadState>
      </Section>
    </div>
  );
}
