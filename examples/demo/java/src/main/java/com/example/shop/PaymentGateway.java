package com.example.shop;

/** Takes a payment and says whether it went through. */
public interface PaymentGateway {
    boolean charge(String customer, long cents);
}
