/** What the server's acceptance of an outbox item means, said in the domain's words. */
import type { OutboxItem } from '../../db/types';
import { mergedLanding } from '../sites/field';

/** 「检查记录已保存，发现隐患 Y2026-0012」: what the server's acceptance means, in the domain's words. */
export function acceptedText(item: OutboxItem): string {
  const landing = mergedLanding(item);
  const text = ownText(item);
  // The site was merged meanwhile (合并重复场所): say where the record now is.
  return landing ? `${text}该场所已合并，记入「${landing.toName}」。` : text;
}

function ownText(item: OutboxItem): string {
  const hazards = (item.response?.hazards as { number?: string }[] | undefined) ?? [];
  if (item.kind === 'inspection') {
    return `检查记录已保存${hazards.length ? `，发现隐患 ${hazards.map((h) => h.number).join('、')}` : '，未发现隐患'}。`;
  }
  const number = item.response?.number as string | undefined;
  if (item.kind === 'hazard') return `隐患已登记${number ? `，编号 ${number}` : ''}。`;
  if (item.kind === 'site') return '新增场所已登记，等待街道审核。';
  if (item.kind === 'selfcheck') {
    return item.response?.zero_report ? '本月自查自报已报送：本月未发现隐患。'
      : `本月自查自报已报送：自查 ${Number(item.response?.inspection_count ?? 0)} 次，发现隐患 ${Number(item.response?.finding_count ?? 0)} 项。`;
  }
  const documents = (item.response?.documents as { kind?: string; number?: string }[] | undefined) ?? [];
  const order = documents.filter((d) => d.kind === 'order').at(-1)?.number;
  const done: Record<string, string> = {
    assign: `已交办${order ? `，整改通知书 ${order} 已生成` : ''}`,
    acknowledge: '已签收整改通知',
    submit_rectification: '整改完成情况已报送，等待复查',
    verify_pass: '复查通过，隐患已销号',
    verify_fail: '复查不通过，已退回重新整改',
    request_extension: '延期申请已提交，等待审批',
    approve_extension: '已同意延期',
    refuse_extension: '已答复不同意延期',
    submit_governance_plan: '治理方案已提交，等待审批',
    close_on_site: '当场整改完成，隐患已闭环',
    self_rectify: item.response?.status === 'awaiting_verification'
      ? '已自查自改，本项被抽中抽查，等待网格员复查' : '已自查自改，未被抽中抽查，隐患已闭环',
  };
  const text = done[String(item.payload.action ?? '')];
  return text ? `${number ?? item.label.split(' · ')[0]}：${text}。` : `「${item.label}」已办理。`;
}
