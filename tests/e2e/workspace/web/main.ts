import { English } from "./english";
import { Greeter } from "./greeter";

export function welcome(greeter: Greeter, who: string): string {
  return greeter.greet(who);
}

console.log(welcome(new English(), "world"));
