/**
 * A promise of a first page that is also an async iterable over every element of every page: the
 * shape Crawlee's resource clients give (`listItems`, `listKeys`, `keys`, `values`, `entries`).
 * Awaiting it reads one page; `for await` reads page after page. The first page is read lazily, on
 * the first `then` or iteration, so an object that is only iterated does not read a page twice.
 */
export type IterablePromise<Page, Element> = Promise<Page> & AsyncIterable<Element>;

/** Makes an {@link IterablePromise} from a function giving the first page and a generator of all elements. */
export function iterablePromise<Page, Element>(
  firstPage: () => Promise<Page>,
  elements: () => AsyncGenerator<Element, void, undefined>,
): IterablePromise<Page, Element> {
  let page: Promise<Page> | undefined;
  const get = (): Promise<Page> => (page ??= firstPage());
  const result = {
    then<A = Page, B = never>(onFulfilled?: ((value: Page) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
      return get().then(onFulfilled, onRejected);
    },
    catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Page | B> {
      return get().catch(onRejected);
    },
    finally(onFinally?: (() => void) | null): Promise<Page> {
      return get().finally(onFinally);
    },
    [Symbol.asyncIterator]: elements,
    [Symbol.toStringTag]: 'Promise',
  };
  return result as IterablePromise<Page, Element>;
}
