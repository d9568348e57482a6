/** The repository's name: the last path element of its URL, without `.git` (`''` when there is none). */
export function repoName(repo: string): string {
  const leaf =
    repo
      .replace(/[/\\]+$/, '')
      .split(/[/:\\]/)
      .pop() ?? '';
  return leaf.replace(/\.git$/, '');
}
