pub mod circle;
pub mod shapes;
pub mod square;

use shapes::Shape;

/// The sum of the areas of all shapes.
pub fn total_area(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}
