// The items the export benchmarks push: a module of its own, so the scale run loads no Crawlee.

/** A scraped product, as crawls push them: text, numbers, a list and a nested object. */
export function benchItem(n: number): Record<string, unknown> {
  return {
    url: `https://shop.example.com/products/${n}?ref=list`,
    title: `Product number ${n}, "special" edition`,
    price: Math.round(n * 1.37) / 100,
    inStock: n % 3 !== 0,
    tags: ['sale', `category-${n % 20}`],
    seller: { name: `Seller ${n % 50}`, rating: (n % 5) + 1 },
    description: `A long description of product ${n}.\nIt has two lines & some <markup>.`,
  };
}
