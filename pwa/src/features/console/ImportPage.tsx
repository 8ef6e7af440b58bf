/**
 * 批量导入场所: download the template, upload a file, read the check's problems by row and column, confirm,
 * follow the progress (it survives a reload: the job lives on the server), download each row's result.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { UPLOAD_TIMEOUT_MS, apiPath, request } from '../../api/http';
import { Banner } from '../../ui/components';
import { Section, errorText } from './ui';
import './import.css';

export interface ImportCounts {
  created?: number; updated?: number; unchanged?: number; invalid?: number; error?: number;
  ignored_columns?: string[]; ignored_sheets?: string[];
}
/** What can be imported (批量导入 of sites, users or grids): the noun, the template and how rows are matched. */
export const KINDS: Record<string, { noun: string; unit: string; template: string; hint: string }> = {
  sites: { noun: '场所', unit: '个场所', template: '/imports/templates/sites.xlsx',
    hint: '每行一个场所。已登记的场所按统一社会信用代码（没有代码的按名称、地址和网格）对应，重复导入同一文件不会重复登记。' },
  users: { noun: '用户', unit: '个用户', template: '/imports/templates/users.xlsx',
    hint: '每行一个用户，按手机号对应已有账号。新用户会收到短信邀请（含初始密码），首次登录须修改密码。' },
  grids: { noun: '网格', unit: '个网格', template: '/imports/templates/grids.xlsx',
    hint: '每行一个网格：名称、上级社区或园区，可附边界（WKT 或 GeoJSON）。按上级和名称对应已有网格。' },
};

export interface ImportJob {
  kind?: string;
  id: number; status: 'checking' | 'checked' | 'importing' | 'done' | 'failed'; status_label: string;
  filename: string; created_at: string; rows_total: number; rows_done: number; planned: ImportCounts;
  applied: ImportCounts; problem_count: number; error: string | null; can_confirm: boolean;
  problems?: { row: number; column: string | null; message: string }[];
}

const RUNNING = new Set(['checking', 'importing']);

/** 「已导入 3,000 / 10,000 行（30%）」 for a running import; the share is of data rows. */
export function progressText(job: Pick<ImportJob, 'status' | 'rows_done' | 'rows_total'>): string {
  if (job.status === 'checking') return '正在逐行检查文件…';
  if (job.status !== 'importing' || !job.rows_total) return '';
  const share = Math.floor((job.rows_done / job.rows_total) * 100);
  return `已导入 ${job.rows_done.toLocaleString('zh-CN')} / ${job.rows_total.toLocaleString('zh-CN')} 行（${share}%）`;
}

async function loadJob(id: number): Promise<ImportJob> {
  return (await request<ImportJob>('GET', apiPath(`/imports/${id}`))).data as ImportJob;
}

function Counts(props: { counts: ImportCounts; applied?: boolean; kind?: string }) {
  const c = props.counts;
  const unit = (KINDS[props.kind ?? 'sites'] ?? KINDS.sites).unit;
  return (
    <ul class="import-counts" data-testid={props.applied ? 'import-applied' : 'import-planned'}>
      <li>{props.applied ? '新建' : '将新建'} <b data-testid="count-created">{c.created ?? 0}</b> {unit}</li>
      <li>{props.applied ? '更新' : '将更新'} <b data-testid="count-updated">{c.updated ?? 0}</b> 个</li>
      <li>无变化 <b data-testid="count-unchanged">{c.unchanged ?? 0}</b> 个</li>
      {!props.applied && (c.invalid ?? 0) > 0 && <li>有问题的行 <b data-testid="count-invalid">{c.invalid}</b></li>}
      {props.applied && (c.error ?? 0) > 0 && <li>未导入 <b data-testid="count-error">{c.error}</b> 行</li>}
    </ul>
  );
}

function JobView(props: { job: ImportJob; onConfirm: () => void; busy: boolean }) {
  const { job } = props;
  const running = RUNNING.has(job.status);
  return (
    <div class="import-job" data-testid="import-job" data-status={job.status}>
      <p><b>{job.filename}</b> · <span data-testid="import-status">{job.status_label}</span>
        {job.rows_total > 0 && <> · 共 {job.rows_total.toLocaleString('zh-CN')} 行数据</>}</p>
      {running && (
        <div class="import-progress" role="status" aria-live="polite">
          <progress max={job.rows_total || 1} value={job.status === 'importing' ? job.rows_done : undefined}
            aria-label="导入进度" />
          <span data-testid="import-progress">{progressText(job)}</span>
        </div>
      )}
      {job.status === 'failed' && <Banner kind="error"><span data-testid="import-error">{job.error}</span></Banner>}
      {job.status === 'checked' && <Counts counts={job.planned} kind={job.kind} />}
      {(job.planned.ignored_columns ?? []).length > 0 && (
        <p class="muted">以下列不认识，已忽略：{job.planned.ignored_columns!.join('、')}</p>)}
      {(job.planned.ignored_sheets ?? []).length > 0 && (
        <p class="muted">只读取了第一个工作表；其余工作表（{job.planned.ignored_sheets!.join('、')}）未读取。</p>)}
      {job.status === 'checked' && job.problem_count > 0 && (
        <>
          <Banner kind="error">文件有 <b data-testid="problem-count">{job.problem_count}</b> 处问题，请在原文件中改正后重新上传；
            在改正之前不会导入任何数据。</Banner>
          <div class="table-wrap">
            <table class="data import-problems" data-testid="import-problems">
              <thead><tr><th class="num">行号</th><th>列</th><th>问题</th></tr></thead>
              <tbody>
                {(job.problems ?? []).map((p, i) => (
                  <tr key={i} data-row={p.row}><td class="num" data-label="行号">第 {p.row} 行</td>
                    <td data-label="列">{p.column ?? '整行'}</td><td data-label="问题">{p.message}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          {job.problem_count > (job.problems ?? []).length && (
            <p class="muted">仅列出前 {(job.problems ?? []).length} 处。</p>)}
        </>
      )}
      {job.can_confirm && (
        <p>
          <button type="button" class="btn primary" data-testid="import-confirm" disabled={props.busy}
            onClick={props.onConfirm}>确认导入</button>
          <span class="muted"> 导入在后台进行，可以离开本页，回来后仍能看到进度。</span>
        </p>
      )}
      {job.status === 'done' && (
        <>
          <Banner kind="info">导入完成。</Banner>
          <Counts counts={job.applied} applied kind={job.kind} />
          <a class="btn small" href={apiPath(`/imports/${job.id}/result.xlsx`)} download
            data-testid="import-result">下载导入结果（每行一条）</a>
        </>
      )}
    </div>
  );
}

export function ImportPage(props: { query: URLSearchParams }) {
  const initial = Number(props.query.get('job')) || null;
  const [jobId, setJobId] = useState<number | null>(initial);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [recent, setRecent] = useState<ImportJob[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [kind, setKind] = useState(KINDS[props.query.get('kind') ?? ''] ? props.query.get('kind')! : 'sites');
  const chosenKind = KINDS[kind];

  // The job id is in the address, so a reload (or coming back later) shows the same import.
  useEffect(() => {
    const url = new URL(location.href);
    if (jobId) url.searchParams.set('job', String(jobId)); else url.searchParams.delete('job');
    history.replaceState(history.state, '', url);
  }, [jobId]);

  useEffect(() => {
    void request<{ items: ImportJob[] }>('GET', apiPath('/imports')).then((r) => setRecent(r.data?.items ?? []))
      .catch(() => setRecent([]));
  }, [job?.status]);

  useEffect(() => {
    if (!jobId) return undefined;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await loadJob(jobId);
        if (!live) return;
        setJob(next);
        setError(null);
        if (RUNNING.has(next.status)) timer = setTimeout(poll, 1000);
      } catch (e) {
        if (live) setError(errorText(e));
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [jobId, busy]);

  async function upload(event: Event) {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setError('请先选择要导入的文件（.xlsx 或 .csv）。');
      return;
    }
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('kind', kind);
    setBusy(true);
    setError(null);
    try {
      const created = await request<ImportJob>('POST', apiPath('/imports'), { body: form, timeoutMs: UPLOAD_TIMEOUT_MS });
      setJob(created.data);
      setJobId(created.data!.id);
      if (fileInput.current) fileInput.current.value = '';
      setChosen(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  async function confirm() {
    if (!job) return;
    setBusy(true);
    setError(null);
    try {
      const confirmed = await request<ImportJob>('POST', apiPath(`/imports/${job.id}/confirm`), { json: {} });
      setJob(confirmed.data);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="import-page" data-testid="import-page">
      <div class="page-head"><h1>批量导入{chosenKind.noun}</h1></div>
      <div class="filters" role="radiogroup" aria-label="导入的内容" data-testid="import-kind">
        {Object.entries(KINDS).map(([key, k]) => (
          <label key={key} class="inline check"><input type="radio" name="import-kind" value={key} checked={kind === key}
            data-testid={`import-kind-${key}`} onChange={() => setKind(key)} />{k.noun}</label>))}
      </div>
      <Section title="第一步：下载模板，按模板填写">
        <p>{chosenKind.hint}</p>
        <a class="btn small" href={apiPath(chosenKind.template)} download data-testid="import-template">
          下载{chosenKind.noun}导入模板（Excel）</a>
      </Section>
      <Section title="第二步：上传文件，系统逐行检查">
        <form onSubmit={upload} class="import-upload">
          <p class="import-hint">Excel（.xlsx）或 CSV 文件；CSV 可为 UTF-8 或 GBK 编码。</p>
          {/* The browser's own file button speaks the browser's language: ours is a label in Chinese. */}
          <input id="import-file" ref={fileInput} type="file" data-testid="import-file" class="visually-hidden"
            accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
            onChange={(e) => setChosen((e.target as HTMLInputElement).files?.[0]?.name ?? null)} />
          <label for="import-file" class="btn">选择文件</label>
          <span class="import-chosen" data-testid="import-chosen">{chosen ?? '尚未选择文件'}</span>
          <button type="submit" class="btn primary" disabled={busy} data-testid="import-upload">
            {busy ? '正在上传…' : '上传并检查'}</button>
        </form>
        {error && <Banner kind="error"><span data-testid="import-page-error">{error}</span></Banner>}
      </Section>
      {job && <Section title="第三步：核对结果，确认导入" testid="import-result-section">
        <JobView job={job} onConfirm={confirm} busy={busy} /></Section>}
      {recent.length > 0 && (
        <Section title="最近的导入">
          <ul class="import-recent">
            {recent.map((r) => (
              <li key={r.id}><button type="button" class="link" onClick={() => setJobId(r.id)}>
                {r.filename}</button> · {r.status_label}</li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}
