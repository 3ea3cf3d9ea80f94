package sansantest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
)

// cardJPEG is a tiny valid JPEG (a 91×55 business-card-shaped picture) served
// by GET /bizCards/{id}/image. It is generated once at startup.
var cardJPEG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 91, 55))
	for y := range 55 {
		for x := range 91 {
			c := color.RGBA{R: 250, G: 250, B: 245, A: 255}
			if y >= 8 && y <= 12 && x >= 8 && x <= 50 { // a "name" bar
				c = color.RGBA{R: 20, G: 20, B: 60, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		panic("sansantest: encoding card image: " + err.Error())
	}
	return buf.Bytes()
}()

// CardImage returns a copy of the JPEG bytes served for every card image.
func CardImage() []byte { return bytes.Clone(cardJPEG) }
