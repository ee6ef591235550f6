import { describe, expect, it } from 'vitest';
import { PRODUCTS, datasetExport } from '../src/dataset-export.js';
import { CLIENT_CASES, useStorageClient } from './storage-clients.js';

describe.each(CLIENT_CASES)('example 4, export to CSV and JSON, on the $name client', (clientCase) => {
  const storageClient = useStorageClient(clientCase);

  it('writes both exports into the named store, with their content types, and reads them back', async () => {
    const outcome = await datasetExport(storageClient());
    expect(outcome.csv.split('\r\n')).toEqual([
      'name,price,address/city,tags/0,tags/1,inStock',
      'Kettle,25,Prague,kitchen,steel,',
      '"Toaster, 2 slots",32.5,Brno,kitchen,,',
      '"Lamp ""Aurora""",48,,,,false',
      '',
    ]);
    expect(outcome.csvContentType).toBe('text/csv; charset=utf-8');
    expect(outcome.json).toEqual(PRODUCTS);
    expect(outcome.jsonContentType).toBe('application/json; charset=utf-8');
  });
});
