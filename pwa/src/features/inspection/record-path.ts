/** Where an inspection's record (检查记录) opens: in the console's frame from the console, else in the field app's. */
export function inspectionPath(id: number, path: string = location.pathname): string {
  return `${path.startsWith('/console') ? '/console' : ''}/inspections/${id}`;
}
