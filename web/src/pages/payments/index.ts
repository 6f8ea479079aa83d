export { BuildingNoticesPage } from './BuildingNoticesPage';
export { NoticesPage } from './NoticesPage';
export { OwnerNoticesPage } from './OwnerNoticesPage';
export { CustomNoticesPage } from './CustomNoticesPage';
