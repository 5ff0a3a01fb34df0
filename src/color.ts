// Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org: any
// non-empty value).
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}
