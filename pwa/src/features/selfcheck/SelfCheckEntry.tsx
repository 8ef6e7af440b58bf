/** The enterprise home's 「每月自查自报」 entry: this month's state of each of my sites, one tap to the page. */
import { outboxStore, sessionStore } from '../../app-state';
import { useStore } from '../../store';
import type { Grant } from '../hazards/logic';
import { localPeriod, monthState, pendingReports } from './logic';
import { useMonth } from './SelfCheckPage';

function SiteEntry(props: { siteId: number; period: string }) {
  const items = useStore(outboxStore);
  const { month } = useMonth(props.siteId, props.period);
  const state = month ? monthState(month, pendingReports(items, props.siteId, props.period).length) : null;
  return (
    <a class="btn block selfcheck-entry" href="/selfcheck" data-testid="selfcheck-entry" data-state={state?.key ?? ''}>
      每月自查自报{month ? ` · ${month.period_label}` : ''}
      <br /><small>{state ? state.text : '正在加载…'}</small>
    </a>
  );
}

export function SelfCheckEntry() {
  const session = useStore(sessionStore);
  const period = localPeriod();
  const sites = ((session?.user.grants ?? []) as Grant[]).filter((g) => g.site_id);
  return <>{sites.map((s) => <SiteEntry key={s.site_id} siteId={Number(s.site_id)} period={period} />)}</>;
}
