/**
 * 用户管理 (console): find users, create one with a role and its scope (a temporary password shown once, changed at
 * first login), and on a user's page change roles, disable or enable, reset the password and end login sessions.
 * Administrators manage everyone; a street supervisor the 网格员 of his own grids (the server decides: can_manage).
 */
import { useCallback, useState } from 'preact/hooks';
import { Banner, formatTime } from '../../../ui/components';
import { RegionPicker } from '../RegionPicker';
import { LoadState, Section, errorText, useLoad } from '../ui';
import {
  type AdminUser, type Capabilities, type Department, type Grant, type Region, ROLE_SCOPE, adminApi, grantText,
} from './api';
import './admin.css';

interface Lookups { caps: Capabilities; regions: Region[]; departments: Department[]; roleLabels: Map<string, string> }

async function loadLookups(): Promise<Lookups> {
  const [caps, regions, departments, taxonomy] = await Promise.all([
    adminApi.capabilities(), adminApi.regions(), adminApi.departments(), adminApi.taxonomy()]);
  return { caps, regions, departments, roleLabels: new Map(taxonomy.roles.map((r) => [r.code, r.label])) };
}

function value(e: Event): string {
  return (e.target as HTMLInputElement | HTMLSelectElement).value;
}

/** One role with its scope: the region select lists only regions of the levels the role needs. */
function GrantForm(props: { lookups: Lookups; submitLabel: string; busy: boolean;
  onSubmit: (grant: Partial<Grant>) => void; testid: string }) {
  const { caps, regions, departments, roleLabels } = props.lookups;
  const [role, setRole] = useState(caps.roles[0] ?? 'grid_worker');
  const [regionId, setRegionId] = useState<number | null>(null);
  const [departmentId, setDepartmentId] = useState('');
  const levels = ROLE_SCOPE[role];
  const choices = useCallback((r: Region) => Boolean(levels?.includes(r.level)), [levels]);
  return (
    <div class="admin-grant" data-testid={props.testid}>
      <label>角色
        <select value={role} data-testid="grant-role" onChange={(e) => { setRole(value(e)); setRegionId(null); }}>
          {caps.roles.filter((r) => r !== 'enterprise_user').map((r) => <option key={r} value={r}>{roleLabels.get(r) ?? r}</option>)}
        </select></label>
      {levels && (
        <RegionPicker label={role === 'grid_worker' ? '负责网格' : '负责区域'} regions={regions} choices={choices}
          value={regionId} onChange={setRegionId} testid="grant-region" />
      )}
      {role === 'inspector' && (
        <label>所属部门
          <select value={departmentId} data-testid="grant-department" onChange={(e) => setDepartmentId(value(e))}>
            <option value="">请选择</option>
            {departments.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select></label>
      )}
      <button type="button" class="btn" disabled={props.busy} data-testid={`${props.testid}-submit`}
        onClick={() => props.onSubmit({ role, region_id: regionId,
          department_id: departmentId ? Number(departmentId) : null, site_id: null })}>{props.submitLabel}</button>
    </div>
  );
}

function TemporaryPassword(props: { who: string; password: string }) {
  return (
    <Banner kind="info" testid="temporary-password-banner">
      {props.who}的临时密码：<b class="admin-password" data-testid="temporary-password">{props.password}</b>
      <br />只显示这一次，请当面或电话告知本人；本人首次登录须改成自己的密码。
    </Banner>
  );
}

function CreateUser(props: { lookups: Lookups; onCreated: () => void }) {
  const [mobile, setMobile] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ user: AdminUser; temporary_password: string } | null>(null);
  async function create(grant: Partial<Grant>) {
    setBusy(true);
    setError(null);
    try {
      const result = await adminApi.createUser({ mobile, display_name: name, grants: [grant] });
      setCreated(result);
      setMobile('');
      setName('');
      props.onCreated();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title={props.lookups.caps.manage_users ? '新建用户' : '新建网格员'} testid="create-user">
      <div class="admin-form">
        <label>手机号（登录账号）<input type="tel" inputMode="numeric" value={mobile} data-testid="new-mobile"
          onInput={(e) => setMobile(value(e))} /></label>
        <label>姓名<input type="text" value={name} data-testid="new-name" onInput={(e) => setName(value(e))} /></label>
      </div>
      <GrantForm lookups={props.lookups} submitLabel="创建用户" busy={busy} onSubmit={(g) => void create(g)}
        testid="new-grant" />
      {error && <Banner kind="error" testid="create-user-error">{error}</Banner>}
      {created && <>
        <TemporaryPassword who={created.user.display_name} password={created.temporary_password} />
        <p><a href={`/console/admin/users/${created.user.id}`} data-testid="created-user-link">查看 {created.user.display_name}</a></p>
      </>}
    </Section>
  );
}

export function UsersPage() {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const lookups = useLoad(loadLookups, []);
  const users = useLoad(() => adminApi.users(search), [search]);
  return (
    <div class="admin-page" data-testid="admin-users">
      <div class="page-head"><h1>用户管理</h1></div>
      <LoadState loaded={lookups}>{(l) => <>
        {l.caps.create_grid_workers && <CreateUser lookups={l} onCreated={users.reload} />}
        <Section title="用户">
          <form class="filters" onSubmit={(e) => { e.preventDefault(); setSearch(q); }}>
            <input type="search" placeholder="姓名或手机号" value={q} data-testid="user-search"
              onInput={(e) => setQ(value(e))} aria-label="按姓名或手机号查找" />
            <button type="submit" class="btn small">查找</button>
          </form>
          <LoadState loaded={users}>{(page) => (
            <div class="table-wrap">
              <table class="data admin-table" data-testid="user-table">
                <thead><tr><th>姓名</th><th>手机号</th><th>角色</th><th>状态</th><th /></tr></thead>
                <tbody>{page.items.map((u) => (
                  <tr key={u.id} data-user={u.mobile}>
                    <td data-label="姓名">{u.display_name}</td><td data-label="手机号">{u.mobile}</td>
                    <td data-label="角色">{u.grants.map((g) => grantText(g, l.roleLabels)).join('；')}</td>
                    <td data-label="状态">{u.active ? '启用' : '已停用'}{u.must_change_password ? ' · 待改密码' : ''}</td>
                    <td><a href={`/console/admin/users/${u.id}`} data-testid="user-open">{u.can_manage ? '管理' : '查看'}</a></td>
                  </tr>))}</tbody>
              </table>
              {page.total > page.items.length && <p class="muted">共 {page.total} 人，仅列出前 {page.items.length} 人，请用查找缩小范围。</p>}
            </div>
          )}</LoadState>
        </Section>
      </>}</LoadState>
    </div>
  );
}

export function UserPage(props: { id: number }) {
  const lookups = useLoad(loadLookups, []);
  const user = useLoad(() => adminApi.user(props.id), [props.id]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [password, setPassword] = useState<string | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);

  async function act(work: () => Promise<unknown>, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      setMessage({ kind: 'info', text: done });
      user.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  }
  const grantsOf = (u: AdminUser) => u.grants.map((g) => ({ role: g.role, region_id: g.region_id,
    department_id: g.department_id, site_id: g.site_id }));

  return (
    <div class="admin-page" data-testid="admin-user">
      <div class="page-head"><h1>用户</h1><a class="btn small" href="/console/admin/users">返回用户列表</a></div>
      <LoadState loaded={lookups}>{(l) => <LoadState loaded={user}>{(u) => <>
        <Section title={u.display_name}>
          <dl class="facts">
            <dt>手机号</dt><dd data-testid="user-mobile">{u.mobile}</dd>
            <dt>状态</dt><dd data-testid="user-status">{u.active ? '启用' : '已停用'}{u.must_change_password ? '（下次登录须修改密码）' : ''}</dd>
            <dt>创建时间</dt><dd>{formatTime(u.created_at)}</dd>
          </dl>
        </Section>
        <Section title="角色与范围" testid="user-grants">
          <ul class="admin-grants">{u.grants.map((g, i) => (
            <li key={g.id ?? i} data-testid="user-grant">{grantText(g, l.roleLabels)}
              {u.can_manage && u.grants.length > 1 && (
                <button type="button" class="link" disabled={busy} onClick={() => void act(
                  () => adminApi.editUser(u.id, { grants: grantsOf(u).filter((_, j) => j !== i) }), '已移除该角色。')}>移除</button>)}
            </li>))}</ul>
          {u.can_manage && <GrantForm lookups={l} submitLabel="添加角色" busy={busy} testid="add-grant"
            onSubmit={(g) => void act(() => adminApi.editUser(u.id, { grants: [...grantsOf(u), g] }), '已添加角色。')} />}
        </Section>
        {u.can_manage && (
          <Section title="账号" testid="user-account">
            <div class="button-row">
              <button type="button" class="btn" disabled={busy} data-testid="toggle-active"
                onClick={() => void act(() => adminApi.editUser(u.id, { active: !u.active }),
                  u.active ? '已停用，该用户的所有登录已结束。' : '已启用。')}>{u.active ? '停用账号' : '启用账号'}</button>
              {confirmReset ? <>
                <button type="button" class="btn primary" disabled={busy} data-testid="confirm-reset" onClick={() => {
                  setConfirmReset(false);
                  void act(async () => setPassword((await adminApi.resetPassword(u.id)).temporary_password),
                    '密码已重置，该用户的所有登录已结束。');
                }}>确认重置密码</button>
                <button type="button" class="btn" onClick={() => setConfirmReset(false)}>取消</button>
              </> : <button type="button" class="btn" disabled={busy} data-testid="reset-password"
                onClick={() => setConfirmReset(true)}>重置密码</button>}
            </div>
            {password && <TemporaryPassword who={u.display_name} password={password} />}
          </Section>
        )}
        {message && <Banner kind={message.kind} testid="user-message">{message.text}</Banner>}
        {u.can_manage && (
          <Section title={`登录中的设备（${u.sessions.length}）`} testid="user-sessions"
            actions={u.sessions.length > 0 && <button type="button" class="btn small" disabled={busy} data-testid="end-all"
              onClick={() => void act(() => adminApi.endSessions(u.id, null), '已结束该用户的全部登录。')}>全部退出</button>}>
            {u.sessions.length === 0 ? <p class="muted">当前没有登录中的设备。</p> : (
              <table class="data admin-table"><thead><tr><th>登录时间</th><th>最近使用</th><th>设备</th><th /></tr></thead>
                <tbody>{u.sessions.map((s) => (
                  <tr key={s.id} data-testid="session-row"><td data-label="登录时间">{formatTime(s.created_at)}</td>
                    <td data-label="最近使用">{formatTime(s.last_seen_at)}</td>
                    <td data-label="设备" class="admin-agent">{s.user_agent ?? '未知设备'}</td>
                    <td><button type="button" class="link" disabled={busy} onClick={() => void act(
                      () => adminApi.endSessions(u.id, s.id), '已结束该设备的登录。')}>退出此设备</button></td></tr>))}
                </tbody></table>)}
          </Section>
        )}
      </>}</LoadState>}</LoadState>
    </div>
  );
}
