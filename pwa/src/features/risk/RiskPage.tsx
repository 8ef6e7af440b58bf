/**
 * 风险分级管控 of one site, on the phone: the site's level and why, its 风险点 with their 危险源, 事故类型 and
 * 控制措施; the enterprise assesses a point (LEC or 风险矩阵) or adds its own, a supervisor's review follows.
 */
import { useEffect, useState } from 'preact/hooks';
import { HttpError, apiPath } from '../../api/http';
import { Banner, formatTime } from '../../ui/components';
import type { Method, RiskLevel, RiskPoint, RiskRules, SiteRisk } from './api';
import { riskApi } from './api';
import { FACTORS, LEVEL_COLOURS, LEVEL_LABELS, dueDay, previewLevel, product } from './logic';
import './risk.css';

const FACTOR_LABELS: Record<string, string> = {
  l: 'L 事故发生的可能性', e: 'E 暴露于危险环境的频繁程度', c: 'C 可能后果', s: 'S 后果严重性',
};
const MEASURE_KINDS: Record<string, string> = {
  engineering: '工程技术', management: '管理', training: '培训教育', ppe: '个体防护', emergency: '应急处置',
};

function problemText(e: unknown, fallback: string): string {
  return e instanceof HttpError ? e.problem.detail : fallback;
}

export function LevelChip(props: { level: RiskLevel | null; testid?: string }) {
  if (!props.level) return <span class="chip" data-testid={props.testid} data-level="none">未评估</span>;
  return (
    <span class="chip" data-testid={props.testid} data-level={props.level}
      style={{ background: LEVEL_COLOURS[props.level], color: props.level === 'yellow' ? '#222' : '#fff' }}>
      {LEVEL_LABELS[props.level]}</span>
  );
}

function AssessForm(props: { point: RiskPoint; rules: RiskRules; onDone: (risk: SiteRisk) => void; onCancel: () => void }) {
  const { rules } = props;
  const [method, setMethod] = useState<Method>('lec');
  const [values, setValues] = useState<Record<string, number | undefined>>({});
  const [major, setMajor] = useState<string>('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const score = product(method, values);
  const level = previewLevel(rules.bands[method], score, Boolean(major));
  const scales = method === 'lec' ? rules.lec : rules.matrix;

  async function submit(event: Event) {
    event.preventDefault();
    if (score === null) { setError('请为每一项选择分值。'); return; }
    if (!reason.trim()) { setError('请填写评估理由。'); return; }
    setBusy(true);
    setError(null);
    try {
      props.onDone(await riskApi.assess(props.point.id, { method, ...values, l: values.l!, major_condition: major || null,
        reason: reason.trim() }));
    } catch (e) {
      setError(problemText(e, '无法连接服务器，评估未提交。'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" data-testid="assess-form" onSubmit={(e) => void submit(e)}>
      <b>评估「{props.point.name}」</b>
      <div class="chips" role="radiogroup" aria-label="评价方法">
        {(['lec', 'matrix'] as Method[]).map((m) => (
          <button key={m} type="button" role="radio" aria-checked={method === m} aria-pressed={method === m}
            data-testid={`assess-method-${m}`} onClick={() => { setMethod(m); setValues({}); }}>
            {m === 'lec' ? 'LEC 法（D=L×E×C）' : '风险矩阵（R=L×S）'}</button>
        ))}
      </div>
      {FACTORS[method].map((f) => (
        <label key={`${method}-${f}`} class="risk-field">
          <span>{FACTOR_LABELS[f]}</span>
          <select data-testid={`factor-${f}`} value={values[f] === undefined ? '' : String(values[f])}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setValues({ ...values, [f]: v === '' ? undefined : Number(v) });
            }}>
            <option value="">请选择</option>
            {(scales as Record<string, { value: number; label: string }[]>)[f].map((s) => (
              <option key={s.value} value={String(s.value)}>{s.value} — {s.label}</option>))}
          </select>
        </label>
      ))}
      <label class="risk-field">
        <span>重大风险判定（符合即为重大风险，不论分值）</span>
        <select data-testid="assess-major" value={major} onChange={(e) => setMajor((e.target as HTMLSelectElement).value)}>
          <option value="">不存在</option>
          {rules.major_conditions.map((c) => <option key={c.code} value={c.code}>{c.label}</option>)}
        </select>
      </label>
      <p data-testid="assess-preview" data-level={level ?? ''}>
        {score === null ? '选择全部分值后显示结果' : `${method === 'lec' ? 'D' : 'R'} = ${score}`}
        {level && <> → <LevelChip level={level} /></>}
      </p>
      <label class="risk-field">
        <span>评估理由</span>
        <textarea data-testid="assess-reason" rows={3} maxLength={2000} value={reason}
          placeholder="如：储氨器每日巡检，但报警装置曾失效"
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
      </label>
      {error && <Banner kind="error" testid="assess-error">{error}</Banner>}
      <div class="button-row">
        <button type="submit" class="btn primary" disabled={busy} data-testid="assess-submit">{busy ? '正在提交…' : '提交评估'}</button>
        <button type="button" class="btn" disabled={busy} onClick={props.onCancel}>取消</button>
      </div>
    </form>
  );
}

function AddPointForm(props: { siteId: number; onDone: (risk: SiteRisk) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState('场所');
  const [source, setSource] = useState('');
  const [types, setTypes] = useState('');
  const [measures, setMeasures] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onDone(await riskApi.addPoint(props.siteId, {
        name: name.trim(), kind, hazard_source: source.trim(),
        accident_types: types.split(/[，,、\s]+/).map((t) => t.trim()).filter(Boolean),
        measures: measures.split('\n').map((t) => t.trim()).filter(Boolean).map((text) => ({ text })),
      }));
    } catch (e) {
      setError(problemText(e, '无法连接服务器，风险点未添加。'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" data-testid="add-point-form" onSubmit={(e) => void submit(e)}>
      <b>新增风险点</b>
      <label class="risk-field"><span>风险点名称</span>
        <input data-testid="point-name" value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
      <label class="risk-field"><span>类型</span>
        <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          {['设施', '部位', '场所', '区域', '作业活动'].map((k) => <option key={k}>{k}</option>)}
        </select></label>
      <label class="risk-field"><span>危险源</span>
        <input data-testid="point-source" value={source} maxLength={300} onInput={(e) => setSource((e.target as HTMLInputElement).value)} /></label>
      <label class="risk-field"><span>可能的事故类型（用顿号分隔）</span>
        <input value={types} placeholder="火灾、爆炸" onInput={(e) => setTypes((e.target as HTMLInputElement).value)} /></label>
      <label class="risk-field"><span>控制措施（每行一条）</span>
        <textarea rows={3} value={measures} onInput={(e) => setMeasures((e.target as HTMLTextAreaElement).value)} /></label>
      {error && <Banner kind="error">{error}</Banner>}
      <div class="button-row">
        <button type="submit" class="btn primary" disabled={busy} data-testid="point-submit">{busy ? '正在保存…' : '保存'}</button>
        <button type="button" class="btn" disabled={busy} onClick={props.onCancel}>取消</button>
      </div>
    </form>
  );
}

/** 人工调整: a supervisor sets the site's level against the computed one, with a reason (recorded), or clears it. */
function OverrideForm(props: { risk: SiteRisk; onDone: (risk: SiteRisk, text: string) => void; onCancel: () => void }) {
  const { risk } = props;
  const [level, setLevel] = useState<RiskLevel | ''>(risk.override?.level ?? '');
  const [reason, setReason] = useState(risk.override?.reason ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(clear: boolean) {
    if (!clear && !level) { setError('请选择调整后的风险等级。'); return; }
    if (!clear && !reason.trim()) { setError('请填写调整理由。'); return; }
    setBusy(true);
    setError(null);
    try {
      const next = await riskApi.override(risk.site_id, clear ? null : (level as RiskLevel), clear ? null : reason.trim());
      props.onDone(next, clear ? '已取消人工调整，风险等级按计算结果。' : `已人工调整为${LEVEL_LABELS[level as RiskLevel]}。`);
    } catch (e) {
      setError(problemText(e, '无法连接服务器，调整未保存。'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" data-testid="override-form" onSubmit={(e) => { e.preventDefault(); void send(false); }}>
      <b>人工调整风险等级</b>
      <p class="muted">计算结果：{risk.computed_level ? LEVEL_LABELS[risk.computed_level] : '—'}。人工调整优先于计算结果，
        在地图和场所页上标明「人工调整」及理由，并记入操作记录。</p>
      <label class="risk-field"><span>调整为</span>
        <select data-testid="override-level" value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as RiskLevel | '')}>
          <option value="">请选择</option>
          {(['red', 'orange', 'yellow', 'blue'] as RiskLevel[]).map((l) => <option key={l} value={l}>{LEVEL_LABELS[l]}</option>)}
        </select></label>
      <label class="risk-field"><span>调整理由</span>
        <textarea data-testid="override-reason" rows={3} maxLength={1000} value={reason}
          placeholder="如：周边为居民密集区，节假日人员聚集"
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} /></label>
      {error && <Banner kind="error" testid="override-error">{error}</Banner>}
      <div class="button-row">
        <button type="submit" class="btn primary" disabled={busy} data-testid="override-submit">{busy ? '正在保存…' : '保存调整'}</button>
        {risk.override && <button type="button" class="btn" disabled={busy} data-testid="override-clear"
          onClick={() => void send(true)}>取消人工调整</button>}
        <button type="button" class="btn" disabled={busy} onClick={props.onCancel}>返回</button>
      </div>
    </form>
  );
}

function PointCard(props: { point: RiskPoint; risk: SiteRisk; rules: RiskRules | null; open: boolean;
  onOpen: () => void; onClose: () => void; onDone: (risk: SiteRisk) => void }) {
  const { point: p } = props;
  const pending = p.latest?.state === 'submitted';
  return (
    <li class="card" data-testid="risk-point" data-name={p.name} data-id={p.id}>
      <div><b>{p.name}</b> <span class="muted">（{p.kind}{p.own ? '，自行添加' : ''}）</span></div>
      <div><LevelChip level={p.level} testid="point-level" /> <span class="muted" data-testid="point-basis">{p.basis ?? '尚未评估'}</span></div>
      <div>危险源：{p.hazard_source}</div>
      {p.accident_types.length > 0 && <div>事故类型：{p.accident_types.join('、')}</div>}
      {p.measures.length > 0 && (
        <details>
          <summary>控制措施 {p.measures.length} 项</summary>
          <ul>{p.measures.map((m, i) => <li key={i}>〔{MEASURE_KINDS[m.kind] ?? m.kind}·{m.tier}〕{m.text}
            {m.check_items.length > 0 && <small class="muted">（检查条目 {m.check_items.join('、')}）</small>}
            {m.check && <div data-testid="measure-check" data-checked={m.check.checked_this_period ? 'true' : 'false'}>
              <small class={m.check.overdue ? 'deadline urgent' : 'muted'}>{m.check.checker_label} · {m.check.period_label}检查 ·
                {m.check.last_checked_at ? ` 上次 ${formatTime(m.check.last_checked_at)}` : ' 尚未检查'} ·
                {m.check.checked_this_period ? ' 本期已检查' : ` ${m.check.overdue ? '已逾期，应于' : '请于'} ${dueDay(m.check.due_at)} 前完成`}</small></div>}
            {(m.open_hazards ?? []).map((h) => <div key={h.id} data-testid="measure-failing">
              <a href={`/hazards/${h.id}`}>检查不符合：隐患 {h.number}{h.level === 'major' ? '（重大）' : ''}，未闭环</a></div>)}</li>)}</ul>
        </details>
      )}
      {p.reassess_due_at && <div class="muted">应于 {formatTime(p.reassess_due_at)} 前重新评估</div>}
      <a href={apiPath(`/risk/points/${p.id}/card.pdf`)} target="_blank" rel="noopener" data-testid="risk-card">岗位风险告知卡（PDF）</a>
      {p.latest && (
        <div data-testid="point-state" data-state={p.latest.state}>
          最近评估：{p.latest.basis}，{p.latest.assessed_by ?? ''} {formatTime(p.latest.assessed_at)}，
          <b>{p.latest.state_label}</b>
          {p.latest.state === 'returned' && p.latest.review_note && <>（退回理由：{p.latest.review_note}）</>}
        </div>
      )}
      {props.open && props.rules
        ? <AssessForm point={p} rules={props.rules} onDone={props.onDone} onCancel={props.onClose} />
        : props.risk.can_assess && !pending && (
          <button type="button" class="btn" data-testid="assess-open" onClick={props.onOpen}>评估</button>)}
    </li>
  );
}

export function RiskPage(props: { siteId: number }) {
  const [risk, setRisk] = useState<SiteRisk | null>(null);
  const [rules, setRules] = useState<RiskRules | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | 'add' | 'override' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    riskApi.site(props.siteId).then(setRisk).catch((e) => setError(problemText(e, '无法连接服务器，风险信息需联网查看。')));
    riskApi.rules().then(setRules).catch(() => undefined);
  }, [props.siteId]);

  function done(next: SiteRisk, text: string) {
    setRisk(next);
    setOpen(null);
    setNotice(text);
  }

  if (error) return <Banner kind="error">{error}</Banner>;
  if (!risk) return <p>正在加载…</p>;
  return (
    <div data-testid="risk-page">
      <h2>{risk.site_name}</h2>
      <div class="card" data-testid="site-risk">
        <div>风险等级：<LevelChip level={risk.level} testid="risk-level" /></div>
        <div data-testid="risk-summary">{risk.summary}</div>
        {risk.override && <div data-testid="risk-override" data-level={risk.override.level}>
          <span class="badge">人工调整</span> 调整为{LEVEL_LABELS[risk.override.level]}：{risk.override.reason}
          <br /><small class="muted">{risk.override.by ?? ''}，{formatTime(risk.override.at)}；计算结果为
            {risk.computed_level ? LEVEL_LABELS[risk.computed_level] : '—'}</small></div>}
        {risk.can_override && (open === 'override'
          ? <OverrideForm risk={risk} onCancel={() => setOpen(null)}
            onDone={(next, text) => done(next, text)} />
          : <button type="button" class="btn" data-testid="override-open" onClick={() => { setNotice(null); setOpen('override'); }}>
            {risk.override ? '修改或取消人工调整' : '人工调整风险等级'}</button>)}
      </div>
      {notice && <Banner kind="info" testid="risk-notice">{notice}</Banner>}
      <a class="btn block" href={apiPath(`/risk/sites/${risk.site_id}/inventory.xlsx`)} download data-testid="risk-inventory">
        下载风险分级管控清单（XLSX）</a>
      <h2>风险点（{risk.points.length}）</h2>
      <ul class="list risk-points">
        {risk.points.map((p) => (
          <PointCard key={p.id} point={p} risk={risk} rules={rules} open={open === p.id}
            onOpen={() => { setNotice(null); setOpen(p.id); }} onClose={() => setOpen(null)}
            onDone={(next) => done(next, risk.can_review ? '评估已生效。' : '评估已提交，待监管部门审核通过后计入风险等级。')} />
        ))}
      </ul>
      {risk.can_assess && (open === 'add'
        ? <AddPointForm siteId={risk.site_id} onCancel={() => setOpen(null)} onDone={(next) => done(next, '已添加风险点，请对其进行评估。')} />
        : <button type="button" class="btn block" data-testid="add-point" onClick={() => setOpen('add')}>新增风险点</button>)}
    </div>
  );
}
