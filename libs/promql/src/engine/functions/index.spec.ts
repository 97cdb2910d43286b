import { FUNCTIONS } from '../../functions';
import { RANGE_FUNCTIONS, SIMPLE_FUNCTIONS } from './index';

describe('function kernels cover the function table', () => {
  const matrixFunctions = [...FUNCTIONS.values()].filter((d) => d.argTypes.includes('matrix')).map((d) => d.name);

  it.each(matrixFunctions.filter((n) => n !== 'absent_over_time'))('range function %s has a kernel', (name) => {
    expect(RANGE_FUNCTIONS[name]).toBeInstanceOf(Function);
  });

  it.each(Object.keys(RANGE_FUNCTIONS))('kernel %s is a Prometheus range function', (name) => {
    expect(matrixFunctions).toContain(name);
  });

  it.each(Object.keys(SIMPLE_FUNCTIONS))('element-wise kernel %s is a Prometheus function returning a vector', (name) => {
    expect(FUNCTIONS.get(name)?.returnType).toBe('vector');
    expect(FUNCTIONS.get(name)?.argTypes[0]).toBe('vector');
  });
});
