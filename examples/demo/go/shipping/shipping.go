// Package shipping prices parcels with the carriers the shop works with.
package shipping

// A Carrier quotes a price for a parcel.
type Carrier interface {
	Quote(grams int) int
	Name() string
}

// Post charges by weight.
type Post struct{ CentsPerKilo int }

func (p Post) Quote(grams int) int { return (grams/1000 + 1) * p.CentsPerKilo }
func (p Post) Name() string        { return "post" }

// Courier charges a flat fee up to a weight.
type Courier struct {
	Flat     int
	MaxGrams int
}

func (c Courier) Quote(grams int) int {
	if grams > c.MaxGrams {
		return -1
	}
	return c.Flat
}
func (c Courier) Name() string { return "courier" }

// Cheapest is the carrier with the lowest quote for the parcel.
func Cheapest(carriers []Carrier, grams int) (Carrier, int) {
	var best Carrier
	price := -1
	for _, carrier := range carriers {
		if quote := carrier.Quote(grams); quote >= 0 && (price < 0 || quote < price) {
			best, price = carrier, quote
		}
	}
	return best, price
}
