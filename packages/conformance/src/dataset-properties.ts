import { Dataset, type DatasetItem, type StorageClientCapabilities } from '@x/core';
import * as fc from 'fast-check';
import { expect } from 'vitest';
import { ClientUnderTest, commandConstraints, describeCommand, jsonObject } from './property-runner.js';
import type { ConformanceOptions } from './suite-context.js';

/** The `limit` a page reports when none was asked for. */
const ALL = Number.MAX_SAFE_INTEGER;

/** The reference model of a dataset: its items in the order pushed. */
export class DatasetModel {
  readonly items: DatasetItem[] = [];

  /** The page `getData` gives: `limit` items after `offset`, counted from the end with `desc`. */
  page(offset: number, limit: number | undefined, desc: boolean): DatasetItem[] {
    const ordered = desc ? [...this.items].reverse() : this.items;
    return ordered.slice(offset, limit === undefined ? undefined : offset + limit);
  }
}

/** The dataset under test, through {@link Dataset}. */
class DatasetSystem {
  dataset!: Dataset;
  step = 0;

  private constructor(
    readonly client: ClientUnderTest,
    readonly name: string,
  ) {}

  static async start(options: ConformanceOptions, name: string): Promise<DatasetSystem> {
    const system = new DatasetSystem(await ClientUnderTest.create(options), name);
    await system.#open();
    return system;
  }

  async #open(): Promise<void> {
    this.dataset = await Dataset.open({ name: this.name, storageClient: this.client.current });
  }

  async reopen(): Promise<void> {
    await this.client.reopen();
    await this.#open();
  }
}

/** Compares the item count and every item with the model. */
async function checkDataset(model: DatasetModel, system: DatasetSystem, step: string): Promise<void> {
  expect((await system.dataset.getMetadata()).itemCount, `${step}: getMetadata itemCount`).toBe(model.items.length);
  const all = await system.dataset.getData();
  expect(all, `${step}: getData() (every item)`).toEqual({ items: model.items, total: model.items.length, offset: 0, limit: ALL, count: model.items.length, desc: false });
}

type DatasetCommand = fc.AsyncCommand<DatasetModel, DatasetSystem>;

abstract class BaseDatasetCommand implements DatasetCommand {
  check(): boolean {
    return true;
  }

  async run(model: DatasetModel, system: DatasetSystem): Promise<void> {
    system.step++;
    const step = `step ${system.step} ${this.toString()}`;
    await this.act(model, system, step);
    await checkDataset(model, system, step);
  }

  protected abstract act(model: DatasetModel, system: DatasetSystem, step: string): Promise<void>;

  abstract toString(): string;
}

/** `pushData` of one item or an array of items. */
class PushCommand extends BaseDatasetCommand {
  constructor(readonly items: DatasetItem | readonly DatasetItem[]) {
    super();
  }

  protected async act(model: DatasetModel, system: DatasetSystem): Promise<void> {
    await system.dataset.pushData(this.items);
    model.items.push(...(Array.isArray(this.items) ? this.items : [this.items]).map((item) => structuredClone(item)));
  }

  toString(): string {
    return describeCommand('push', { items: this.items });
  }
}

/** `getData` of a page: offset, limit (or none), ascending or descending. */
class GetDataCommand extends BaseDatasetCommand {
  constructor(
    readonly offset: number,
    readonly limit: number | undefined,
    readonly desc: boolean,
  ) {
    super();
  }

  protected async act(model: DatasetModel, system: DatasetSystem, step: string): Promise<void> {
    const { offset, limit, desc } = this;
    const page = await system.dataset.getData({ offset, desc, ...(limit === undefined ? {} : { limit }) });
    const items = model.page(offset, limit, desc);
    expect(page, `${step}: getData page`).toEqual({ items, total: model.items.length, offset, limit: limit ?? ALL, count: items.length, desc });
  }

  toString(): string {
    return describeCommand('getData', { offset: this.offset, limit: this.limit, desc: this.desc || undefined });
  }
}

/** `iterateItems` with small pages. */
class IterateCommand extends BaseDatasetCommand {
  constructor(
    readonly offset: number,
    readonly limit: number | undefined,
    readonly desc: boolean,
    readonly pageSize: number,
  ) {
    super();
  }

  protected async act(model: DatasetModel, system: DatasetSystem, step: string): Promise<void> {
    const { offset, limit, desc, pageSize } = this;
    const items: DatasetItem[] = [];
    for await (const item of system.dataset.iterateItems({ offset, desc, pageSize, ...(limit === undefined ? {} : { limit }) })) {
      items.push(item);
      if (items.length > model.items.length) break;
    }
    expect(items, `${step}: iterateItems`).toEqual(model.page(offset, limit, desc));
  }

  toString(): string {
    return describeCommand('iterate', { offset: this.offset, limit: this.limit, desc: this.desc || undefined, pageSize: this.pageSize });
  }
}

class ReopenCommand extends BaseDatasetCommand {
  protected async act(_model: DatasetModel, system: DatasetSystem): Promise<void> {
    await system.reopen();
  }

  toString(): string {
    return 'reopen()';
  }
}

const item = jsonObject;
const offset = fc.nat(12);
const limit = fc.option(fc.nat(6), { nil: undefined });

function datasetCommands(reopen: boolean): fc.Arbitrary<DatasetCommand>[] {
  const weighted: fc.WeightedArbitrary<DatasetCommand>[] = [
    { weight: 4, arbitrary: fc.oneof(item, fc.array(item, { maxLength: 5 })).map((items) => new PushCommand(items)) },
    { weight: 3, arbitrary: fc.tuple(offset, limit, fc.boolean()).map(([o, l, d]) => new GetDataCommand(o, l, d)) },
    { weight: 1, arbitrary: fc.tuple(offset, limit, fc.boolean(), fc.integer({ min: 1, max: 3 })).map(([o, l, d, p]) => new IterateCommand(o, l, d, p)) },
  ];
  if (reopen) weighted.push({ weight: 1, arbitrary: fc.constant(null).map(() => new ReopenCommand()) });
  return [fc.oneof(...weighted)];
}

/**
 * The dataset property: random sequences of pushes (one item or a batch), pages with offsets,
 * limits and `desc`, iteration in small pages, and reopens of persistent clients, each compared
 * with {@link DatasetModel} after every step.
 */
export function datasetProperty(options: ConformanceOptions, capabilities: StorageClientCapabilities): fc.IAsyncProperty<[Iterable<DatasetCommand>]> {
  const commands = datasetCommands(capabilities.persistent && options.reopenClient !== undefined);
  return fc.asyncProperty(fc.commands(commands, commandConstraints()), async (sequence) => {
    const system = await DatasetSystem.start(options, 'property-dataset');
    try {
      await fc.asyncModelRun(() => ({ model: new DatasetModel(), real: system }), sequence);
    } finally {
      await system.client.dispose();
    }
  });
}
