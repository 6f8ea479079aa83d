import { Pending } from '../Pending';

export function HouseSetPage() {
  return <Pending title="房屋变更" />;
}
