// How the shop tells customers about their orders.

export interface Notifier {
  send(customer: Customer, message: string): Promise<boolean>;
}

export interface Customer {
  name: string;
  email?: string;
  phone?: string;
}

export class EmailNotifier implements Notifier {
  constructor(private readonly sender: string) {}

  async send(customer: Customer, message: string): Promise<boolean> {
    if (!customer.email) return false;
    console.log(`mail from ${this.sender} to ${customer.email}: ${message}`);
    return true;
  }
}

export class SmsNotifier implements Notifier {
  async send(customer: Customer, message: string): Promise<boolean> {
    if (!customer.phone) return false;
    console.log(`sms to ${customer.phone}: ${message.slice(0, 160)}`);
    return true;
  }
}
