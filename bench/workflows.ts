// The benchmark worker's workflows: the product's, unchanged, plus the bench-only wait designs.
export * from '../src/workflows';
export * from './wait-designs/workflows';
