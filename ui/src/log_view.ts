// A virtualised log: only the lines in view are in the DOM, so a log of millions of lines scrolls
// as fast as a short one. It sticks to the bottom while the user has not scrolled up.

const LINE_PX = 18;
const OVERSCAN = 20;
const MAX_LINES = 2_000_000;

export class LogView {
  readonly root: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly pre: HTMLPreElement;
  private lines: string[] = [];
  private follow = true;
  private pending = false;

  constructor() {
    this.root = document.createElement("div");
    this.root.className = "logview";
    this.root.dataset.testid = "log";
    this.spacer = document.createElement("div");
    this.spacer.className = "logview-spacer";
    this.pre = document.createElement("pre");
    this.pre.className = "logview-lines";
    this.spacer.appendChild(this.pre);
    this.root.appendChild(this.spacer);
    this.root.addEventListener("scroll", () => {
      const atBottom = this.root.scrollTop + this.root.clientHeight >= this.root.scrollHeight - LINE_PX * 2;
      this.follow = atBottom;
      this.schedule();
    });
  }

  append(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    this.schedule();
  }

  clear(): void {
    this.lines = [];
    this.schedule();
  }

  get lineCount(): number {
    return this.lines.length;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    this.spacer.style.height = `${this.lines.length * LINE_PX}px`;
    if (this.follow) this.root.scrollTop = this.root.scrollHeight;
    const first = Math.max(0, Math.floor(this.root.scrollTop / LINE_PX) - OVERSCAN);
    const count = Math.ceil(this.root.clientHeight / LINE_PX) + 2 * OVERSCAN;
    const last = Math.min(this.lines.length, first + count);
    this.pre.style.transform = `translateY(${first * LINE_PX}px)`;
    this.pre.textContent = this.lines.slice(first, last).join("\n");
  }
}
