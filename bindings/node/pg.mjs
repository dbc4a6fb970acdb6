// The ES module face of pg.js.
import rotating from './pg.js'

export const { RotatingPool, createPool } = rotating
export default rotating
