// Order confirmations: every notifier is tried until one reaches the customer.

import { Customer, Notifier } from "./notify";

export interface Order {
  id: string;
  customer: Customer;
  totalCents: number;
}

export async function confirm(order: Order, notifiers: Notifier[]): Promise<boolean> {
  const message = `Order ${order.id}: ${(order.totalCents / 100).toFixed(2)} EUR, thank you!`;
  for (const notifier of notifiers) {
    if (await notifier.send(order.customer, message)) return true;
  }
  return false;
}
