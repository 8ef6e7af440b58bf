/**
 * Who sees the 监管 console (supervisor console). Kept tiny and free of imports: it is part of the field
 * app's initial bundle, while the console itself is a lazily loaded chunk.
 */

/** Roles that supervise: 街道/区安委办 supervisors, department officers (inspectors) and admins. */
export const CONSOLE_ROLES = ['supervisor', 'inspector', 'admin'];

export function canUseConsole(grants: unknown[] | undefined): boolean {
  return ((grants ?? []) as { role?: string }[]).some((g) => CONSOLE_ROLES.includes(g.role ?? ''));
}
