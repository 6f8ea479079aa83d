import { Pending } from '../Pending';

export function BuildingChangePage() {
  return <Pending title="楼幢变更" />;
}
