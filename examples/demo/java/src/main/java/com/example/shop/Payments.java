package com.example.shop;

import java.util.List;

public final class Payments {
    private Payments() {}

    /** Tries each gateway in turn; the first that takes the money wins. */
    public static boolean pay(List<PaymentGateway> gateways, String customer, long cents) {
        for (PaymentGateway gateway : gateways) {
            if (gateway.charge(customer, cents)) {
                return true;
            }
        }
        return false;
    }
}
