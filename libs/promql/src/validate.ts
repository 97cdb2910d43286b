import { type Expr, walk } from './ast';
import { ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS } from './functions';

/**
 * Checks made when a query is created rather than when it is parsed (Prometheus's engine
 * rejects these after `ParseExpr` accepted them): `anchored` ranges only for changes, delta,
 * increase, rate, resets; `smoothed` ranges only for delta, increase, rate.
 * Returns the error message, or undefined when the expression is fine.
 */
export function queryValidationError(expr: Expr): string | undefined {
  let message: string | undefined;
  walk(expr, (node) => {
    if (message !== undefined || node.type !== 'Call') return;
    for (const arg of node.args) {
      if (arg.type !== 'MatrixSelector') continue;
      const vs = arg.vectorSelector;
      if (vs.anchored && !ANCHORED_FUNCTIONS.includes(node.func.name)) {
        message = `anchored modifier can only be used with: ${ANCHORED_FUNCTIONS.join(', ')} - not with ${node.func.name}`;
      } else if (vs.smoothed && !SMOOTHED_FUNCTIONS.includes(node.func.name)) {
        message = `smoothed modifier can only be used with: ${SMOOTHED_FUNCTIONS.join(', ')} - not with ${node.func.name}`;
      }
    }
  });
  return message;
}
