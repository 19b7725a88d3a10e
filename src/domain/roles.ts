/** The console's account roles, from most to least allowed. */
export const USER_ROLES = ['admin', 'responder', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];
