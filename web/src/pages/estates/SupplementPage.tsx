import { Pending } from '../Pending';

export function SupplementPage() {
  return <Pending title="房屋补充" />;
}
