export { OrgInfoPage } from './OrgInfoPage';
export { OrgUsersPage } from './OrgUsersPage';
export { PasswordPage } from './PasswordPage';
