package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// paymentView is a payment as the payer sees it.
type paymentView struct {
	ID          string  `json:"id"`
	DossierID   string  `json:"dossier_id"`
	Amount      int64   `json:"amount"`
	Status      string  `json:"status"`
	Provider    string  `json:"provider"`
	GatewayRef  string  `json:"gateway_ref,omitempty"`
	CreatedAt   vnTime  `json:"created_at"`
	UpdatedAt   vnTime  `json:"updated_at"`
	ConfirmedAt *vnTime `json:"confirmed_at,omitempty"`
}

func viewPayment(p *portal.Payment) paymentView {
	return paymentView{ID: p.ID, DossierID: p.DossierID, Amount: p.Amount, Status: p.Status, Provider: p.Provider,
		GatewayRef: p.GatewayRef, CreatedAt: vn(p.CreatedAt), UpdatedAt: vn(p.UpdatedAt), ConfirmedAt: vnPtr(p.ConfirmedAt)}
}

// startPaymentResponse sends the citizen to the gateway: a browser follows
// redirect_url (the payment page); a script may POST confirm_url with
// Accept: application/json instead of clicking "pay".
type startPaymentResponse struct {
	PaymentID   string `json:"payment_id"`
	RedirectURL string `json:"redirect_url"`
	ConfirmURL  string `json:"confirm_url"`
	Amount      int64  `json:"amount"`
	Status      string `json:"status"`
}

// startPayment begins paying a dossier's fee. A citizen may pay while the
// dossier is a draft or after submitting it (the usual order: submit, then
// pay the payment request); an officer cannot receive it until it is paid.
func (a *api) startPayment(c *gin.Context) {
	if a.payments == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-payment is not configured"))
		return
	}
	ctx := c.Request.Context()
	p, redirect, err := a.payments.Start(ctx, principal(ctx), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	confirm := redirect
	if path, query, ok := strings.Cut(redirect, "?"); ok {
		confirm = path + "/confirm?" + query
	} else {
		confirm = redirect + "/confirm"
	}
	c.JSON(http.StatusCreated, startPaymentResponse{PaymentID: p.ID, RedirectURL: redirect, ConfirmURL: confirm,
		Amount: p.Amount, Status: p.Status})
}

func (a *api) listPayments(c *gin.Context) {
	if a.payments == nil || a.store == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-payment is not configured"))
		return
	}
	ctx := c.Request.Context()
	d, err := a.dossiers.Get(ctx, principal(ctx), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	ps, err := a.store.PaymentsOf(ctx, d.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	items := make([]paymentView, len(ps))
	for i, p := range ps {
		items[i] = viewPayment(p)
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "payment_status": d.PaymentStatus, "fee": d.Fee})
}

// paymentCallback receives the gateway's signed notification. Only the
// signature authenticates it (no bearer token); replays and late
// out-of-order notifications are acknowledged and change nothing, so the
// gateway stops retrying.
func (a *api) paymentCallback(c *gin.Context) {
	if a.payments == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-payment is not configured"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, portal.MaxNotificationBytes+1))
	if err != nil {
		writeError(c, uploadReadError(err))
		return
	}
	p, outcome, err := a.payments.HandleCallback(c.Request.Context(), body, c.GetHeader(portal.SignatureHeader))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"payment_id": p.ID, "status": p.Status, "outcome": outcome})
}
