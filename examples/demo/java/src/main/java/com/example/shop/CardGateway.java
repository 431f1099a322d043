package com.example.shop;

public class CardGateway implements PaymentGateway {
    private final String merchantId;

    public CardGateway(String merchantId) {
        this.merchantId = merchantId;
    }

    @Override
    public boolean charge(String customer, long cents) {
        return cents > 0 && !merchantId.isEmpty();
    }
}
