/** 通知设置: which kinds of notice also come by SMS to my account mobile (the inbox always has them all). */
import { useEffect, useState } from 'preact/hooks';
import { sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { Banner } from '../../ui/components';
import { loadPreferences, savePreference, type Preference } from './api';
import { PushSettings } from './PushSettings';

/** Kinds as people think of them; each row is stored as one preference per event kind. */
const GROUPS: { label: string; kinds: string[] }[] = [
  { label: '交办（新的整改任务）', kinds: ['hazard.assign'] },
  { label: '整改到期提醒', kinds: ['reminder.*', 'console.remind'] },
  { label: '复查结果', kinds: ['hazard.verify_fail', 'hazard.verify_pass'] },
  { label: '延期申请与审批', kinds: ['hazard.request_extension', 'hazard.approve_extension', 'hazard.refuse_extension'] },
  { label: '治理方案审批', kinds: ['hazard.return_governance_plan', 'hazard.approve_governance_plan'] },
  { label: '企业报告整改完成（待复查）', kinds: ['hazard.submit_rectification'] },
  { label: '逾期督办', kinds: ['escalation.*'] },
  { label: '群众举报逾期未受理', kinds: ['report.*'] },
];

export function PrefsPage() {
  const session = useStore(sessionStore);
  const mobile = session?.user.mobile ?? '';
  const [prefs, setPrefs] = useState<Preference[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  useEffect(() => {
    loadPreferences().then(setPrefs, () => setMessage({ kind: 'error', text: '无法连接服务器，请联网后再设置。' }));
  }, []);
  if (!prefs) return message ? <Banner kind="error">{message.text}</Banner> : <p role="status">正在加载…</p>;
  const onFor = (kinds: string[]) => prefs.some((p) => p.channel === 'sms' && p.enabled && kinds.includes(p.event_kind));
  const defaults = prefs.length > 0 && prefs.every((p) => p.id == null);

  async function toggle(kinds: string[], enabled: boolean) {
    // The first choice replaces the role defaults: store every row as shown, with this one changed.
    const rows = GROUPS.flatMap((g) => g.kinds.map((kind) => ({
      channel: 'sms', address: mobile, event_kind: kind, enabled: kinds.includes(kind) ? enabled : onFor(g.kinds),
    })));
    try {
      const saved: Preference[] = [];
      for (const row of rows) saved.push(await savePreference(row));
      setPrefs([...saved, ...prefs!.filter((p) => p.channel !== 'sms' && p.id != null)]);
      setMessage({ kind: 'info', text: '已保存。' });
    } catch {
      setMessage({ kind: 'error', text: '保存失败：无法连接服务器，请联网后再试。' });
    }
  }

  return (
    <div class="prefs">
      <p>所有消息都会出现在「消息」里。勾选的类别还会发短信到 {mobile}。</p>
      {defaults && <p data-testid="prefs-defaults">当前为按您的角色推荐的默认设置。</p>}
      {message && <Banner kind={message.kind}>{message.text}</Banner>}
      <fieldset>
        <legend>短信通知</legend>
        {GROUPS.map((g) => (
          <label key={g.label}>
            <input type="checkbox" checked={onFor(g.kinds)} onChange={(e) => toggle(g.kinds, (e.target as HTMLInputElement).checked)} />
            {g.label}
          </label>
        ))}
      </fieldset>
      <PushSettings />
    </div>
  );
}
