/// Anything with an area.
pub trait Shape {
    fn area(&self) -> f64;
}
