// Vitest: a spec-complete IndexedDB in Node, fresh for every test.
import 'fake-indexeddb/auto';
