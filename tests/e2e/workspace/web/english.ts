import { Greeter } from "./greeter";

export class English implements Greeter {
  greet(name: string): string {
    return `Hello, ${name}!`;
  }
}
