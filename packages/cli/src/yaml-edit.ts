import { type Document, isMap, isNode, isScalar, isSeq, type Node, type Scalar, visit } from 'yaml';

/** A map key, a sequence index, or the item of a sequence whose `name` is this (k8s lists). */
export type Step = string | number | { name: string };

function describe(path: readonly Step[]): string {
  return path.map((step) => (typeof step === 'object' ? `[name=${step.name}]` : String(step))).join('.');
}

/**
 * Edits a reference deployment file in place, comments and layout kept. Every edit names a
 * place the reference must have: when deploy/ changes shape, init fails loudly (and its tests),
 * instead of writing a file that silently lost a setting.
 */
export class YamlEdit {
  constructor(
    readonly doc: Document,
    /** The reference file, for errors. */
    readonly file: string,
  ) {}

  node(path: readonly Step[]): Node {
    let node: unknown = this.doc.contents;
    for (const step of path) {
      if (typeof step === 'object') {
        node = isSeq(node)
          ? node.items.find((item) => isMap(item) && item.get('name') === step.name)
          : undefined;
      } else {
        node = isMap(node) || isSeq(node) ? node.get(step, true) : undefined;
      }
      if (node === undefined) throw this.missing(path);
    }
    return node as Node;
  }

  scalar(path: readonly Step[]): Scalar {
    const node = this.node(path);
    if (!isScalar(node)) throw this.missing(path);
    return node;
  }

  /** Sets a value; the yaml library quotes it when it would read back as something else. */
  set(path: readonly Step[], value: string | number): void {
    this.scalar(path).value = value;
  }

  /** Rewrites a string value with `pattern` → `replacement`; the reference value must match. */
  replace(path: readonly Step[], pattern: RegExp, replacement: string): void {
    const node = this.scalar(path);
    if (!pattern.test(String(node.value))) throw this.missing(path, `matching ${pattern}`);
    node.value = String(node.value).replace(pattern, replacement);
  }

  /** Sets `KEY=value` in a list of such strings (kustomize literals). */
  setLiteral(path: readonly Step[], key: string, value: string): void {
    const list = this.node(path);
    const item = isSeq(list)
      ? list.items.find((entry) => isScalar(entry) && String(entry.value).startsWith(`${key}=`))
      : undefined;
    if (!isScalar(item)) throw this.missing([...path, key]);
    item.value = `${key}=${value}`;
  }

  /**
   * Adds `key: value` to the map at `path` right after `after`, with `comment` above it; the
   * comment that stood above the next key goes when `stale` says it spoke of this one.
   */
  insert(
    path: readonly Step[],
    after: string,
    entry: { key: string; value: Node; comment: string; stale?: RegExp },
  ): void {
    const map = this.node(path);
    if (!isMap(map)) throw this.missing(path);
    const index = map.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === after);
    if (index < 0) throw this.missing([...path, after]);
    const next = map.items[index + 1]?.key;
    if (isScalar(next) && next.commentBefore && entry.stale?.test(next.commentBefore)) {
      next.commentBefore = undefined;
    }
    const pair = this.doc.createPair(entry.key, entry.value);
    (pair.key as Scalar).commentBefore = entry.comment;
    map.items.splice(index + 1, 0, pair);
  }

  /** Replaces the file's leading comment (yaml keeps it on the document or on the first key). */
  header(text: string): void {
    const contents = this.doc.contents;
    if (contents) contents.commentBefore = undefined;
    const first = isMap(contents) ? contents.items[0]?.key : undefined;
    if (isNode(first)) first.commentBefore = undefined;
    this.doc.commentBefore = text
      .split('\n')
      .map((line) => (line ? ` ${line}` : ''))
      .join('\n');
  }

  /** Rewrites every comment (the document's own and each node's). */
  comments(rewrite: (comment: string) => string): void {
    const doc = this.doc;
    if (doc.commentBefore) doc.commentBefore = rewrite(doc.commentBefore);
    if (doc.comment) doc.comment = rewrite(doc.comment);
    visit(doc, {
      Node(_, node) {
        if (node.commentBefore) node.commentBefore = rewrite(node.commentBefore);
        if (node.comment) node.comment = rewrite(node.comment);
      },
    });
  }

  toString(): string {
    // lineWidth 0: a long command or URL stays on its line.
    return this.doc.toString({ lineWidth: 0 });
  }

  /** The error for a reference file that no longer has what init edits. */
  missing(what: string | readonly Step[], detail = ''): Error {
    const place = typeof what === 'string' ? what : describe(what);
    return new Error(
      `${this.file} has no ${place}${detail ? ` ${detail}` : ''}: update init-files.ts to match deploy/`,
    );
  }
}
