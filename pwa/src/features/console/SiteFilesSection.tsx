/**
 * 一企一档's records of a site: its QR poster to print (PDF / 图片), the 现场照片 taken when a 网格员 registered it in
 * the field, and (further down the page) its 检查记录, each opening the inspection's record.
 */
import { apiPath, request } from '../../api/http';
import { InspectionHistory } from '../inspection/InspectionRecordPage';
import { posterPath } from '../site/data';
import { photoThumb, type AdminSite } from './site-admin-api';
import { useLoad } from './ui';

function SitePhotos(props: { siteId: number }) {
  const loaded = useLoad(async () => (await request<{ photo_ids: string[] }>(
    'GET', apiPath(`/sites/${props.siteId}/photos`))).data?.photo_ids ?? [], [props.siteId]);
  if (!loaded.data || loaded.data.length === 0) return null;
  return (
    <section class="card" data-testid="site-photos">
      <h2>现场照片（{loaded.data.length}）</h2>
      <p class="muted">网格员现场登记该场所时拍摄；点按查看大图。</p>
      <div class="photos">
        {loaded.data.map((id, i) => (
          <a key={id} href={apiPath(`/photos/${id}/evidence`)} target="_blank" rel="noopener">
            <img src={photoThumb(id)} alt={`场所现场照片 ${i + 1}`} width={120} /></a>
        ))}
      </div>
    </section>
  );
}

/** 检查记录 of the site, newest first (the field app's list, in a console card). */
export function SiteInspectionsSection(props: { siteId: number }) {
  return <section class="card"><InspectionHistory siteId={props.siteId} /></section>;
}

export function SiteFilesSection(props: { site: AdminSite }) {
  const { site } = props;
  return (
    <>
      {!site.merged_into_id && (
        <section class="card" data-testid="site-posters">
          <h2>场所二维码海报</h2>
          <p class="muted">打印后张贴在场所门口：检查人员扫码确认到场，群众扫码查看整改、举报隐患。</p>
          <div class="button-row">
            <a class="btn" href={posterPath(site.id, 'pdf')} download="" data-testid="poster-pdf">下载二维码海报（PDF）</a>
            <a class="btn" href={posterPath(site.id, 'png')} download="" data-testid="poster-png">下载二维码海报（图片）</a>
          </div>
        </section>
      )}
      <SitePhotos siteId={site.id} />
    </>
  );
}
