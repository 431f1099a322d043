/** Says hello to someone. */
export interface Greeter {
  greet(name: string): string;
}
