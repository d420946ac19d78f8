/** What a person may do on the dashboard, each role including the ones before it. */
export const ROLES = ['viewer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** Whether `role` may do what needs `need`: viewer < approver < admin. */
export function allows(role: Role, need: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(need);
}

/** What each role is for, in the words `users add --help` and the README use. */
export const ROLE_WORDS: Record<Role, string> = {
  viewer: 'sees jobs, rules and spending',
  approver: 'also approves, denies, retries, cancels and reverts jobs, and decides on learned programs',
  admin: 'everything an approver does (today no page needs more; kept for settings only admins may change)',
};
