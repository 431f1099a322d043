import { Greeter } from "./greeter";

export class French implements Greeter {
  greet(name: string): string {
    return `Bonjour, ${name} !`;
  }
}
