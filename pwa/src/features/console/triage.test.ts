import { describe, expect, it } from 'vitest';
import { HttpError } from '../../api/http';
import { fieldMessages, share } from './triage-api';

describe('triage: figures and form messages', () => {
  it('prints a share with its numerator and denominator, and a dash when nothing is due', () => {
    expect(share(3, 4)).toBe('3 / 4（75.0%）');
    expect(share(1, 3)).toBe('1 / 3（33.3%）');
    expect(share(0, 0)).toBe('—');
  });

  it('puts each server message beside its field and the rest above the button', () => {
    const invalid = new HttpError(422, { status: 422, detail: '提交的数据有误：请写明不予立案的理由。',
      errors: [{ field: 'reason', message: '请写明不予立案的理由。' }] });
    expect(fieldMessages(invalid)).toEqual({ reason: '请写明不予立案的理由。' });
    const taken = new HttpError(409, { status: 409, detail: '该举报已由他人处理。' });
    expect(fieldMessages(taken)._).toBe('该举报已由他人处理。');
    expect(fieldMessages(new Error('无法连接服务器'))).toEqual({ _: '无法连接服务器' });
  });
});
