import { Select } from 'antd';
import { useQuery } from 'urql';
import { EstateOptionsQuery } from '../pages/estates/estates.gql';

/** The viewer's active estates. */
export function EstateSelect(props: { value?: string; onChange?: (v: string) => void; id?: string; disabled?: boolean }) {
  const [{ data, fetching }] = useQuery({ query: EstateOptionsQuery });
  return (
    <Select
      {...props}
      showSearch
      optionFilterProp="label"
      placeholder="请选择物业区域"
      loading={fetching}
      style={{ minWidth: 260 }}
      options={data?.estates.edges.map((e) => ({ value: e.node.id, label: `${e.node.name}（${e.node.code}）` })) ?? []}
    />
  );
}
