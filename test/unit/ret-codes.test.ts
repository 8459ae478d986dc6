// LINSTOR's ApiCallRc return codes as ferry answers them: the values linstor-common defines (checked
// against python-linstor's sharedconsts.py numbers), and the mapping of ferry's errors to them that
// golinstor's ApiCallRc.Is and linstor-csi decide by.
import { describe, expect, it } from '@jest/globals';
import { ConflictError, NotFoundError, PlacementError, ValidationError } from '../../core/errors.js';
import { codeNameOf, errorRetCode, hasCode, retCodeOf } from '../../api/ret-codes.js';
import { serializeExact } from '../../api/linstor-compat-routes.js';

describe('LINSTOR return codes', () => {
  it.each([
    // name, python-linstor's sharedconsts value (unsigned)
    ['FAIL_NOT_FOUND_RSC_DFN', 301n | 0xc000000000000000n],
    ['FAIL_EXISTS_VLM_DFN', 503n | 0xc000000000000000n],
    ['FAIL_IN_USE', 997n | 0xc000000000000000n],
    ['FAIL_NOT_ENOUGH_NODES', 996n | 0xc000000000000000n],
    ['FAIL_NOT_FOUND_KVS', 316n | 0xc000000000000000n],
  ] as const)('%s is the signed 64-bit of linstor-common', (name, value) => {
    expect(errorRetCode(name)).toBe(BigInt.asIntN(64, value));
  });

  it.each([
    [new NotFoundError('resource definition', 'db0'), 'FAIL_NOT_FOUND_RSC_DFN'],
    [new NotFoundError('volume definition', 'db0/1'), 'FAIL_NOT_FOUND_VLM_DFN'],
    [new NotFoundError('resource group', 'sc'), 'FAIL_NOT_FOUND_RSC_GRP'],
    [new NotFoundError('key-value store', 'csi'), 'FAIL_NOT_FOUND_KVS'],
    [new ConflictError('resource definition', 'db0', 'exists'), 'FAIL_EXISTS_RSC_DFN'],
    [new ConflictError('volume definition', 'db0/0', 'exists'), 'FAIL_EXISTS_VLM_DFN'],
    [new ConflictError('resource group', 'sc', 'exists'), 'FAIL_EXISTS_RSC_GRP'],
    [new ConflictError('volume definition', 'db0/0', 'in-use'), 'FAIL_IN_USE'],
    [new PlacementError({ needed: 3, existing: 0, steps: [{ constraint: 'nodes', nodesLeft: 2 }] }), 'FAIL_NOT_ENOUGH_NODES'],
    [new ValidationError('override_props.Foo', 'not known'), 'FAIL_INVLD_PROP'],
    [new ValidationError('select_filter.layer_stack', 'only DRBD,STORAGE'), 'FAIL_INVLD_LAYER_STACK'],
    [new ValidationError('size_kib', 'too small'), 'FAIL_INVLD_VLM_SIZE'],
    [new ValidationError('body', 'bad'), 'FAIL_INVLD_REQUEST'],
  ] as const)('%s answers %s', (err, name) => {
    expect(codeNameOf(err)).toBe(name);
    expect(hasCode(retCodeOf(err, 'POST'), name)).toBe(true);
  });

  it('adds the object and operation masks as LINSTOR does, and golinstor.Is still matches the code', () => {
    const rc = retCodeOf(new ConflictError('resource definition', 'db0', 'exists'), 'POST');
    // MASK_ERROR | MASK_RSC_DFN | MASK_CRT | 501
    expect(BigInt.asUintN(64, rc)).toBe(0xc000000000000000n | 0x380000n | 0x1000000n | 501n);
    expect(hasCode(rc, 'FAIL_EXISTS_RSC_DFN')).toBe(true);
    expect(hasCode(rc, 'FAIL_EXISTS_RSC')).toBe(false);
  });

  it('prints every ret_code as its exact integer in JSON', () => {
    const rc = errorRetCode('FAIL_NOT_FOUND_VLM_DFN');
    const text = serializeExact([{ ret_code: rc, message: 'x' }, { ret_code: -4611686018427387904, message: 'y' }, { ret_code: 0, message: 'ok' }]);
    expect(text).toBe(`[{"ret_code":${rc.toString()},"message":"x"},{"ret_code":-4611686018427387904,"message":"y"},{"ret_code":0,"message":"ok"}]`);
    expect(serializeExact({ message: 'a "\\u0000exact:1" string stays' })).toBe(JSON.stringify({ message: 'a "\\u0000exact:1" string stays' }));
  });
});
