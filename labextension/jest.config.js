// Jest runs the pure TypeScript logic (protocol, ordering, de-duplication, run store) in Node: those modules import
// nothing from JupyterLab, so no browser or ESM transform is needed.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
  }
};
