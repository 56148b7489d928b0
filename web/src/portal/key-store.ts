/**
 * The subscriber's secure container in this browser: IndexedDB holding the
 * non-extractable CryptoKey (the browser keeps the key material; scripts,
 * this one included, can use it to sign but never read it) beside the
 * certificate issued for it.
 */
export interface StoredCredential {
  serial: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certificatePem: string;
  chainPem: string;
  algorithm: string;
  privateKey: CryptoKey;
  storedAt: string;
}

const DB_NAME = 'signet-keys';
const STORE = 'credentials';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'serial' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

export const keyStore = {
  save: (credential: StoredCredential) => run('readwrite', (store) => store.put(credential)).then(() => undefined),
  list: () => run<StoredCredential[]>('readonly', (store) => store.getAll() as IDBRequest<StoredCredential[]>),
  remove: (serial: string) => run('readwrite', (store) => store.delete(serial)).then(() => undefined),
};
