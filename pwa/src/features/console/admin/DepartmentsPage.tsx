/** 部门管理 (console, administrators): the 行业监管部门 of the district and the domains (监管领域) each supervises. */
import { useState } from 'preact/hooks';
import { Banner } from '../../../ui/components';
import { LoadState, Section, errorText, useLoad } from '../ui';
import { type Department, type Label, adminApi } from './api';
import './admin.css';

function value(e: Event): string {
  return (e.target as HTMLInputElement | HTMLSelectElement).value;
}

function Domains(props: { all: Label[]; chosen: string[]; onChange: (next: string[]) => void; testid: string }) {
  return (
    <div class="admin-domains" data-testid={props.testid}>{props.all.map((d) => (
      <label key={d.code}><input type="checkbox" checked={props.chosen.includes(d.code)} data-domain={d.code}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked
          ? [...props.chosen, d.code] : props.chosen.filter((c) => c !== d.code))} />{d.label}</label>))}
    </div>
  );
}

function DepartmentRow(props: { department: Department; domains: Label[]; editable: boolean; onSaved: () => void }) {
  const d = props.department;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(d.name);
  const [chosen, setChosen] = useState(d.domains);
  const [error, setError] = useState<string | null>(null);
  const labels = new Map(props.domains.map((x) => [x.code, x.label]));
  async function save() {
    setError(null);
    try {
      await adminApi.editDepartment(d.id, { name, domains: chosen });
      setEditing(false);
      props.onSaved();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <tr data-testid="department-row" data-code={d.code}>
      <td data-label="部门">{editing ? <input type="text" value={name} onInput={(e) => setName(value(e))} /> : d.name}</td>
      <td data-label="监管领域">{editing
        ? <Domains all={props.domains} chosen={chosen} onChange={setChosen} testid="edit-domains" />
        : d.domains.map((x) => labels.get(x) ?? x).join('、') || '—'}
        {error && <Banner kind="error">{error}</Banner>}</td>
      <td>{editing ? <>
        <button type="button" class="btn small" data-testid="department-save" onClick={() => void save()}>保存</button>
        <button type="button" class="link" onClick={() => setEditing(false)}>取消</button></>
        : props.editable && <button type="button" class="link" data-testid="department-edit"
          onClick={() => setEditing(true)}>修改</button>}</td>
    </tr>
  );
}

export function DepartmentsPage() {
  const departments = useLoad(() => adminApi.departments(), []);
  const lookups = useLoad(async () => {
    const [taxonomy, regions, caps] = await Promise.all([adminApi.taxonomy(), adminApi.regions(), adminApi.capabilities()]);
    return { domains: taxonomy.domains, districts: regions.filter((r) => r.level === 'district'), caps };
  }, []);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  return (
    <div class="admin-page" data-testid="admin-departments">
      <div class="page-head"><h1>部门与监管领域</h1></div>
      <LoadState loaded={lookups}>{(l) => <>
        <Section title="部门">
          <LoadState loaded={departments}>{(list) => (
            <div class="table-wrap"><table class="data admin-table">
              <thead><tr><th>部门</th><th>监管领域</th><th /></tr></thead>
              <tbody>{list.map((d) => <DepartmentRow key={d.id} department={d} domains={l.domains}
                editable={l.caps.manage_departments} onSaved={departments.reload} />)}</tbody></table></div>
          )}</LoadState>
        </Section>
        {l.caps.manage_departments && l.districts.length > 0 && (
          <Section title="新增部门" testid="create-department">
            <div class="admin-form">
              <label>部门名称<input type="text" value={name} data-testid="department-name" onInput={(e) => setName(value(e))} /></label>
              <label>代码（字母，如 yj）<input type="text" value={code} data-testid="department-code" onInput={(e) => setCode(value(e))} /></label>
            </div>
            <Domains all={l.domains} chosen={chosen} onChange={setChosen} testid="new-domains" />
            <div class="button-row"><button type="button" class="btn primary" data-testid="department-create" onClick={async () => {
              setMessage(null);
              try {
                await adminApi.createDepartment({ region_id: l.districts[0].id, code, name, domains: chosen });
                setMessage({ kind: 'info', text: `已新增「${name}」。` });
                setCode(''); setName(''); setChosen([]);
                departments.reload();
              } catch (e) {
                setMessage({ kind: 'error', text: errorText(e) });
              }
            }}>新增部门</button></div>
            {message && <Banner kind={message.kind} testid="department-message">{message.text}</Banner>}
          </Section>
        )}
      </>}</LoadState>
    </div>
  );
}
