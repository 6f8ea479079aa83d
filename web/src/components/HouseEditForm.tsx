// The fields of a house that an info change may set, for 批量修改 (blank = unchanged) and 逐个修改.
import { Col, Form, Input, Row, Select } from 'antd';
import { options, salesStatus, usage } from '../labels';

export function HouseEditFields({ batch }: { batch?: boolean }) {
  const hint = batch ? '不填则不改' : undefined;
  return (
    <Row gutter={12}>
      <Col span={8}><Form.Item label="单元" name="unit"><Input placeholder={hint} maxLength={20} /></Form.Item></Col>
      <Col span={8}><Form.Item label="楼层" name="floor" rules={[{ pattern: /^-?\d{1,3}$/, message: '楼层应为整数' }]}><Input placeholder={hint} /></Form.Item></Col>
      <Col span={8}>{!batch && <Form.Item label="房号" name="roomNumber"><Input maxLength={20} /></Form.Item>}</Col>
      <Col span={24}>{!batch && <Form.Item label="坐落" name="address"><Input maxLength={300} /></Form.Item>}</Col>
      <Col span={8}><Form.Item label="用途" name="usage"><Select allowClear placeholder={hint} options={options(usage)} /></Form.Item></Col>
      <Col span={8}><Form.Item label="户型" name="layout"><Input placeholder={hint ?? '如 三房两厅'} maxLength={20} /></Form.Item></Col>
      <Col span={8}><Form.Item label="销售状态" name="salesStatus"><Select allowClear placeholder={hint} options={options(salesStatus)} /></Form.Item></Col>
      <Col span={8}>
        <Form.Item label="有无电梯" name="hasElevator">
          <Select allowClear placeholder={hint} options={[{ value: true, label: '有' }, { value: false, label: '无' }]} />
        </Form.Item>
      </Col>
      <Col span={8}>
        <Form.Item label="建筑面积" name="buildingArea" rules={[{ pattern: /^\d{1,10}(\.\d{1,2})?$/, message: '最多两位小数' }]}>
          <Input placeholder={hint} suffix="m²" inputMode="decimal" />
        </Form.Item>
      </Col>
      <Col span={8}>
        <Form.Item label="套内面积" name="innerArea" rules={[{ pattern: /^\d{1,10}(\.\d{1,2})?$/, message: '最多两位小数' }]}>
          <Input placeholder={hint} suffix="m²" inputMode="decimal" />
        </Form.Item>
      </Col>
      <Col span={8}>
        <Form.Item label="房款" name="price" rules={[{ pattern: /^\d{1,12}(\.\d{1,2})?$/, message: '最多两位小数' }]}>
          <Input placeholder={hint} suffix="元" inputMode="decimal" />
        </Form.Item>
      </Col>
      <Col span={12}><Form.Item label="不动产单元号" name="realEstateUnitNumber"><Input placeholder={hint} maxLength={40} /></Form.Item></Col>
    </Row>
  );
}

