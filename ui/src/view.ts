/** A view renders into `el` and returns a function that stops its timers and streams. */
export type View = (
  el: HTMLElement,
  params: Record<string, string>,
  navigate: (path: string) => void,
) => () => void;
