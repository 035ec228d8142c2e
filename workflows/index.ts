// The workflows the worker registers.
export { leadWorkflow } from './lead';
export { commissionWorkflow } from './commission';
